/**
 * The Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards) a pod
 * template must meet at its namespace's level: baseline, then restricted.
 */
import type { PodSecurityLevel } from '../../charts/lib/declared';
import { list, record } from './context';
import { containersOf, type PodTemplate } from './workloads';

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

/** The Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards), baseline then restricted. */
export function podSecurity(template: PodTemplate, level: PodSecurityLevel, report: (field: string, message: string) => void): void {
  if (level === 'privileged') return;
  const pod = template.spec;
  const p = template.path;
  const podContext = record(pod.securityContext);
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (pod[host] === true) report(`${p}.${host}`, `${host} is not allowed at Pod Security level ${level}`);
  }
  list(pod.volumes).forEach((volume, i) => {
    if (volume.hostPath !== undefined) report(`${p}.volumes[${i}].hostPath`, `hostPath volumes are not allowed at level ${level}`);
    if (level === 'restricted') {
      const type = Object.keys(volume).find((k) => k !== 'name');
      if (type !== undefined && !RESTRICTED_VOLUMES.has(type)) {
        report(
          `${p}.volumes[${i}].${type}`,
          `volume type ${type} is not allowed at level restricted (allowed: ${[...RESTRICTED_VOLUMES].join(', ')})`,
        );
      }
    }
  });
  list(podContext.sysctls).forEach((sysctl, i) => {
    if (!SAFE_SYSCTLS.has(String(sysctl.name)))
      report(`${p}.securityContext.sysctls[${i}]`, `sysctl ${String(sysctl.name)} is not in the safe set`);
  });
  const podSeccomp = record(podContext.seccompProfile).type;
  if (podSeccomp === 'Unconfined') report(`${p}.securityContext.seccompProfile.type`, 'seccomp Unconfined is not allowed');
  if (level === 'restricted' && podContext.runAsUser === 0)
    report(`${p}.securityContext.runAsUser`, 'runAsUser 0 (root) is not allowed at level restricted');

  for (const { container, path } of containersOf(template)) {
    const sc = record(container.securityContext);
    const caps = record(sc.capabilities);
    const added = Array.isArray(caps.add) ? caps.add.map(String) : [];
    if (sc.privileged === true) report(`${path}.securityContext.privileged`, `privileged containers are not allowed at level ${level}`);
    list(container.ports).forEach((port, i) => {
      if (port.hostPort !== undefined && port.hostPort !== 0)
        report(`${path}.ports[${i}].hostPort`, `host ports are not allowed at level ${level}`);
    });
    if (sc.procMount !== undefined && sc.procMount !== 'Default') report(`${path}.securityContext.procMount`, 'procMount must be Default');
    if (record(sc.seccompProfile).type === 'Unconfined')
      report(`${path}.securityContext.seccompProfile.type`, 'seccomp Unconfined is not allowed');
    if (level === 'baseline') {
      const extra = added.filter((c) => !BASELINE_CAPABILITIES.has(c));
      if (extra.length > 0)
        report(`${path}.securityContext.capabilities.add`, `capabilities ${extra.join(', ')} are not allowed at level baseline`);
      continue;
    }
    // restricted
    if (sc.allowPrivilegeEscalation !== false) {
      report(`${path}.securityContext.allowPrivilegeEscalation`, 'must be false at level restricted');
    }
    const drop = Array.isArray(caps.drop) ? caps.drop.map(String) : [];
    if (!drop.includes('ALL')) report(`${path}.securityContext.capabilities.drop`, "must include 'ALL' at level restricted");
    const extra = added.filter((c) => c !== 'NET_BIND_SERVICE');
    if (extra.length > 0)
      report(`${path}.securityContext.capabilities.add`, `only NET_BIND_SERVICE may be added at level restricted, not ${extra.join(', ')}`);
    const nonRoot = sc.runAsNonRoot ?? podContext.runAsNonRoot;
    if (nonRoot !== true)
      report(`${path}.securityContext.runAsNonRoot`, 'runAsNonRoot must be true (on the pod or the container) at level restricted');
    if (sc.runAsUser === 0) report(`${path}.securityContext.runAsUser`, 'runAsUser 0 (root) is not allowed at level restricted');
    const seccomp = record(sc.seccompProfile).type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
      report(
        `${path}.securityContext.seccompProfile.type`,
        'seccompProfile.type must be RuntimeDefault or Localhost (on the pod or the container) at level restricted',
      );
    }
  }
}
