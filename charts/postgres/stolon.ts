import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { Endpoint } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import type { ObjectStore } from '../lib/object-store';
import {
  TMP_MOUNT,
  TMP_VOLUME,
  httpProbe,
  podDisruptionBudget,
  resources,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  onePerNode,
  spreadOverNodes,
  tcpProbe,
} from '../lib/workload';
import { VaultSecret, type SecretsComponent } from '../secrets/secrets';
import type { MetalLbComponent } from '../metallb/metallb';
import type { MayastorComponent } from '../storage/mayastor';
import type { CertManagerComponent } from '../cert-manager/cert-manager';
import { StolonBackup } from './backup';
import { RESTORE_SPEC_FILE, restoreSpec } from './restore';
import { renderUpdateJob } from './update-job';
import { keeperResilience, replicationSignals } from './resilience';
import { TLS_MOUNT, keeperCertificate } from './tls';
import { REPL_DIR, SU_DIR, keeperScript } from './keeper-script';
import { STOLON_IMAGE } from './image';
import {
  KEEPER_DATA_DIR,
  METRICS_PORT,
  POSTGRES_NAMESPACE,
  SPEC_DIR,
  SPEC_FILE,
  STOLON_OBJECTS,
  STOLON_UID,
  metricsEnv,
  podLabels,
  stolonName,
  storeEnv,
  type StolonRole,
} from './pods';
import { PG_PORT, REPL_USERNAME, SU_USERNAME, clusterSpec, primarySite, runsPostgres, specJson, type StolonClusterSpec } from './spec';
import { COMPONENT } from '../../model/components';

const NAMESPACE = POSTGRES_NAMESPACE;
/** Keepers (PostgreSQL instances) per site: a primary and a synchronous-capable standby, one per node. */
const KEEPERS = 2;
/** Size of each keeper's volume, GiB. */
const KEEPER_VOLUME_GIB = 10;
const SA = STOLON_OBJECTS.serviceAccount;

/** Props of the PostgreSQL component. */
export interface StolonProps {
  /** The site's secrets component (credentials come from Vault through it). */
  readonly secrets: SecretsComponent;
  /** The site's storage: keepers take their volumes from it. */
  readonly storage: MayastorComponent;
  /** MetalLB: the primary's endpoint for the other sites takes the site's fixed `database` address. */
  readonly metallb: MetalLbComponent;
  /** cert-manager: the keepers' TLS certificate comes from the platform CA (tls.ts). */
  readonly certManager: CertManagerComponent;
  /**
   * Where base backups go (backup.ts: nightly, kept 14 days).
   * @default none: no backup CronJob is rendered
   */
  readonly backupStore?: ObjectStore;
}

/**
 * PostgreSQL with stolon on one site: keepers (one PostgreSQL each), sentinels, proxies, the
 * cluster spec from git, and the cross-site link. The primary site (sites/, `database.role`) runs
 * a `master` cluster and exposes its proxy on a fixed address; the other sites run a `standby`
 * cluster replicating from that address, readable through `stolon-readonly` (seed 000: if the
 * primary site falls, writes stop and reads go on).
 */
export class StolonComponent extends PlatformComponent {
  /** The spec this site's cluster runs. */
  readonly spec: StolonClusterSpec;
  /** Read-write endpoint (the proxies: always the current master) for applications. */
  readonly readWrite: Endpoint;
  /** Read-only endpoint (every keeper, hot standbys on a standby site) for readers. */
  readonly readOnly: Endpoint;
  /** The keepers, for flows. */
  readonly keepers: Endpoint;

  constructor(scope: Construct, context: SiteContext, props: StolonProps) {
    super(scope, { name: COMPONENT.postgres, context, namespace: NAMESPACE });
    this.ownNamespace({ name: NAMESPACE, podSecurity: 'restricted' });
    this.dependOn(props.storage);
    this.spec = clusterSpec(this.site, this.sites);
    const isPrimary = this.spec.role === 'master';
    if (!isPrimary) {
      this.syncOrder.readinessDependsOnOtherSite(
        `a standby keeper becomes ready only once pg_basebackup from the primary site ${primarySite(this.sites).name} has completed`,
      );
    }

    this.keepers = this.endpoint({
      podLabels: podLabels('keeper'),
      ports: [
        { port: PG_PORT, name: 'postgres' },
        { port: METRICS_PORT, name: 'metrics' },
      ],
      serviceName: stolonName('keeper'),
    });
    this.readOnly = { ...this.keepers, serviceName: STOLON_OBJECTS.readOnly };
    const sentinels = this.endpoint({ podLabels: podLabels('sentinel'), ports: [{ port: METRICS_PORT, name: 'metrics' }] });
    this.readWrite = this.endpoint({
      podLabels: podLabels('proxy'),
      ports: [
        { port: PG_PORT, name: 'postgres' },
        { port: METRICS_PORT, name: 'metrics' },
      ],
      serviceName: stolonName('proxy'),
    });
    const updater = this.endpoint({ podLabels: { ...commonLabels(this.componentName, 'update') }, ports: [] });

    // Keepers stream from each other, proxies relay clients to the master. Sentinels talk to no
    // keeper: they read keeper state from the store (pod annotations) through the API server.
    this.talksTo(this.keepers, this.keepers, [{ port: PG_PORT }]);
    this.talksTo(this.readWrite, this.keepers, [{ port: PG_PORT }]);
    for (const pods of [this.keepers, sentinels, this.readWrite, updater]) this.usesApiServer(pods);
    for (const pods of [this.keepers, sentinels, this.readWrite]) this.exposeMetrics({ pods, port: METRICS_PORT });

    this.rbac();
    const su = new VaultSecret(this, 'superuser', {
      store: props.secrets,
      name: 'stolon-superuser',
      namespace: NAMESPACE,
      data: { password: { path: 'postgres/superuser', property: 'password' } },
    });
    const repl = new VaultSecret(this, 'replication', {
      store: props.secrets,
      name: 'stolon-replication',
      namespace: NAMESPACE,
      data: { password: { path: 'postgres/replication', property: 'password' } },
    });
    const json = specJson(this.spec);
    new k8s.KubeConfigMap(this, 'spec', {
      metadata: { name: STOLON_OBJECTS.clusterSpec, namespace: NAMESPACE, labels: commonLabels(this.componentName, 'spec') },
      // The primary also carries the spec a restore starts from (restore.ts, the restore runbook).
      data: { [SPEC_FILE]: json, ...(isPrimary ? { [RESTORE_SPEC_FILE]: specJson(restoreSpec(this.spec)) } : {}) },
    });

    const tls = keeperCertificate(this, props.certManager.internalCa, this.site, NAMESPACE);
    this.keeperStatefulSet(props, su.secretName, repl.secretName, tls);
    this.sentinelDeployment();
    this.proxyDeployment();
    renderUpdateJob(this, {
      namespace: NAMESPACE,
      image: STOLON_IMAGE,
      specJson: json,
      specConfigMap: STOLON_OBJECTS.clusterSpec,
      podBase: this.podBase('update'),
    });
    this.services(isPrimary, props.metallb);
    this.stateReplicationFacts();
    this.declareResilience(
      keeperResilience({
        spec: this.spec,
        keepers: KEEPERS,
        volumeGiB: KEEPER_VOLUME_GIB,
        storage: props.storage.nodeLocal,
        primarySite: primarySite(this.sites).name,
        standbySites: this.sites.filter((s) => s.database.role === 'standby' && runsPostgres(s)).map((s) => s.name),
      }),
    );
    for (const signal of replicationSignals(this.spec, this.keepers)) this.declareHealthSignal(signal);

    if (isPrimary) {
      // Pods of the other sites leave their cluster through their node's address (SNAT); the
      // exposed Service keeps that source (externalTrafficPolicy Local), so the policy sees it.
      const others = this.sites.filter((s) => s !== this.site && runsPostgres(s));
      this.talksOutside({
        pods: this.readWrite,
        direction: 'ingress',
        cidrs: others.flatMap((s) => s.nodes.map((n) => `${n.address}/32`)).sort(),
        ports: [{ port: PG_PORT }],
        reason: `standby sites (${others.map((s) => s.name).join(', ')}) replicate from the primary through stolon-primary`,
      });
    } else {
      const primary = primarySite(this.sites);
      this.talksOutside({
        pods: this.keepers,
        direction: 'egress',
        cidrs: [`${primary.loadBalancer.fixed.database}/32`],
        ports: [{ port: PG_PORT }],
        reason: `the standby keepers replicate from the primary site ${primary.name}`,
      });
    }

    if (props.backupStore) {
      new StolonBackup(this, 'backup', {
        store: props.backupStore,
        keepers: this.readOnly,
        replicationSecret: repl.secretName,
      });
    }
  }

  private rbac(): void {
    const labels = commonLabels(this.componentName);
    new k8s.KubeServiceAccount(this, 'sa', { metadata: { name: SA, namespace: NAMESPACE, labels } });
    // What the kubernetes store does (internal/store/k8s.go): components patch their own pod's
    // `stolon-status` annotation and list the others; sentinels and stolonctl read and write the
    // `stolon-cluster-<name>` ConfigMap, which is also the sentinels' leader lock.
    new k8s.KubeRole(this, 'role', {
      metadata: { name: SA, namespace: NAMESPACE, labels },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'rolebinding', {
      metadata: { name: SA, namespace: NAMESPACE, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: SA },
      subjects: [{ kind: 'ServiceAccount', name: SA, namespace: NAMESPACE }],
    });
  }

  /** Pod spec fields every stolon pod shares. */
  private podBase(
    role: StolonRole | 'update',
  ): Pick<k8s.PodSpec, 'serviceAccountName' | 'automountServiceAccountToken' | 'securityContext'> &
    Partial<Pick<k8s.PodSpec, 'topologySpreadConstraints'>> {
    return {
      serviceAccountName: SA,
      automountServiceAccountToken: true,
      securityContext: restrictedPodSecurity(STOLON_UID),
      ...(role === 'update' ? {} : { topologySpreadConstraints: spreadOverNodes(podLabels(role)) }),
    };
  }

  private keeperStatefulSet(props: StolonProps, suSecret: string, replSecret: string, tlsSecret: string): void {
    const labels = podLabels('keeper');
    const replicas = KEEPERS;
    const script = keeperScript();
    new k8s.KubeStatefulSet(this, 'keeper', {
      metadata: { name: stolonName('keeper'), namespace: NAMESPACE, labels },
      spec: {
        serviceName: stolonName('keeper'),
        replicas,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...this.podBase('keeper'),
            // Each keeper's copy is on its node: never two keepers on one node.
            affinity: onePerNode(labels),
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'keeper',
                image: STOLON_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/bash', '-c', script],
                env: [
                  ...storeEnv('STKEEPER'),
                  metricsEnv('STKEEPER'),
                  { name: 'STKEEPER_PG_LISTEN_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                  { name: 'STKEEPER_PG_PORT', value: String(PG_PORT) },
                  { name: 'STKEEPER_DATA_DIR', value: KEEPER_DATA_DIR },
                  { name: 'STKEEPER_PG_SU_USERNAME', value: SU_USERNAME },
                  { name: 'STKEEPER_PG_SU_PASSWORDFILE', value: `${SU_DIR}/password` },
                  { name: 'STKEEPER_PG_REPL_USERNAME', value: REPL_USERNAME },
                  { name: 'STKEEPER_PG_REPL_PASSWORDFILE', value: `${REPL_DIR}/password` },
                ],
                ports: [
                  { name: 'postgres', containerPort: PG_PORT },
                  { name: 'metrics', containerPort: METRICS_PORT },
                ],
                resources: resources({ cpuMillis: 250, memoryMiB: 1024 }),
                // Ready when PostgreSQL answers; alive while the keeper process serves metrics (a
                // long base backup must not get the keeper restarted).
                readinessProbe: tcpProbe(PG_PORT, { periodSeconds: 5 }),
                livenessProbe: httpProbe('/metrics', METRICS_PORT, { periodSeconds: 20, failureThreshold: 6 }),
                securityContext: restrictedContainerSecurity(),
                volumeMounts: [
                  { name: 'data', mountPath: KEEPER_DATA_DIR },
                  { name: 'superuser', mountPath: SU_DIR, readOnly: true },
                  { name: 'replication', mountPath: REPL_DIR, readOnly: true },
                  { name: 'tls', mountPath: TLS_MOUNT, readOnly: true },
                  { name: 'run', mountPath: '/stolon-run' },
                  { name: 'socket', mountPath: '/var/run/postgresql' },
                  { name: 'shm', mountPath: '/dev/shm' },
                  TMP_MOUNT,
                ],
              },
            ],
            volumes: [
              { name: 'superuser', secret: { secretName: suSecret, defaultMode: 0o400 } },
              { name: 'replication', secret: { secretName: replSecret, defaultMode: 0o400 } },
              { name: 'tls', secret: { secretName: tlsSecret, defaultMode: 0o440 } },
              { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
              { name: 'socket', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Mi') } },
              { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('128Mi') } },
              TMP_VOLUME,
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: {
              accessModes: ['ReadWriteOnce'],
              // Keepers replicate among themselves: one copy each, on the keeper's own node (storage/node-local.ts).
              storageClassName: props.storage.nodeLocal.name,
              resources: { requests: { storage: k8s.Quantity.fromString(`${KEEPER_VOLUME_GIB}Gi`) } },
            },
          },
        ],
      },
    });
    podDisruptionBudget(this, { name: stolonName('keeper'), namespace: NAMESPACE, podLabels: labels });
  }

  private sentinelDeployment(): void {
    const labels = podLabels('sentinel');
    new k8s.KubeDeployment(this, 'sentinel', {
      metadata: { name: stolonName('sentinel'), namespace: NAMESPACE, labels },
      spec: {
        // Odd, one per node: a majority (2 of 3) survives the loss of a node.
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...this.podBase('sentinel'),
            containers: [
              {
                name: 'sentinel',
                image: STOLON_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: ['stolon-sentinel'],
                env: [
                  ...storeEnv('STSENTINEL'),
                  metricsEnv('STSENTINEL'),
                  // Read only while the store is empty: the first start of a site needs no stolonctl init.
                  { name: 'STSENTINEL_INITIAL_CLUSTER_SPEC', value: `${SPEC_DIR}/${SPEC_FILE}` },
                ],
                ports: [{ name: 'metrics', containerPort: METRICS_PORT }],
                resources: resources({ cpuMillis: 50, memoryMiB: 64 }),
                readinessProbe: httpProbe('/metrics', METRICS_PORT),
                livenessProbe: httpProbe('/metrics', METRICS_PORT, { periodSeconds: 20 }),
                securityContext: restrictedContainerSecurity(),
                volumeMounts: [{ name: 'spec', mountPath: SPEC_DIR, readOnly: true }, TMP_MOUNT],
              },
            ],
            volumes: [{ name: 'spec', configMap: { name: STOLON_OBJECTS.clusterSpec } }, TMP_VOLUME],
          },
        },
      },
    });
    podDisruptionBudget(this, { name: stolonName('sentinel'), namespace: NAMESPACE, podLabels: labels, minAvailable: 2 });
  }

  private proxyDeployment(): void {
    const labels = podLabels('proxy');
    new k8s.KubeDeployment(this, 'proxy', {
      metadata: { name: stolonName('proxy'), namespace: NAMESPACE, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...this.podBase('proxy'),
            containers: [
              {
                name: 'proxy',
                image: STOLON_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: ['stolon-proxy'],
                env: [
                  ...storeEnv('STPROXY'),
                  metricsEnv('STPROXY'),
                  // The default listen address is 127.0.0.1.
                  { name: 'STPROXY_LISTEN_ADDRESS', value: '0.0.0.0' },
                  { name: 'STPROXY_PORT', value: String(PG_PORT) },
                  // Detect a dead peer (a node or the other site gone) within about a minute.
                  { name: 'STPROXY_TCP_KEEPALIVE_IDLE', value: '30' },
                  { name: 'STPROXY_TCP_KEEPALIVE_INTERVAL', value: '10' },
                  { name: 'STPROXY_TCP_KEEPALIVE_COUNT', value: '3' },
                ],
                ports: [
                  { name: 'postgres', containerPort: PG_PORT },
                  { name: 'metrics', containerPort: METRICS_PORT },
                ],
                resources: resources({ cpuMillis: 50, memoryMiB: 64 }),
                readinessProbe: tcpProbe(PG_PORT, { periodSeconds: 5 }),
                livenessProbe: httpProbe('/metrics', METRICS_PORT, { periodSeconds: 20 }),
                securityContext: restrictedContainerSecurity(),
                volumeMounts: [TMP_MOUNT],
              },
            ],
            volumes: [TMP_VOLUME],
          },
        },
      },
    });
    podDisruptionBudget(this, { name: stolonName('proxy'), namespace: NAMESPACE, podLabels: labels });
  }

  /**
   * Facts the cross-site check compares: the address and port the primary exposes and each standby
   * dials (read from the rendered connection string, not recomputed), and each standby's slot
   * against the slots the primary declares.
   */
  private stateReplicationFacts(): void {
    if (this.spec.role === 'master') {
      for (const slot of this.spec.additionalMasterReplicationSlots) {
        this.stateCrossSiteFact({ key: `database-slot:stolon_${slot}`, role: 'declared', agree: {}, expect: { declared: 1, used: 1 } });
      }
      return;
    }
    const settings = this.spec.standbyConfig?.standbySettings;
    if (!settings) return;
    const conn = Object.fromEntries(settings.primaryConnInfo.split(/\s+/).map((kv) => kv.split('=') as [string, string]));
    this.stateDatabaseFact('standby', conn.host ?? '', Number(conn.port), conn.user ?? '');
    this.stateCrossSiteFact({
      key: `database-slot:${settings.primarySlotName}`,
      role: 'used',
      agree: {},
      expect: { declared: 1, used: 1 },
    });
  }

  /** One end of the cross-site replication: where the primary is, as this site renders it. */
  private stateDatabaseFact(role: 'primary' | 'standby', address: string, port: number, user = REPL_USERNAME): void {
    this.stateCrossSiteFact({
      key: 'database',
      role,
      agree: { primaryAddress: address, port, replicationUser: user },
      expect: { primary: 1 },
    });
  }

  private services(isPrimary: boolean, metallb: MetalLbComponent): void {
    const labels = commonLabels(this.componentName);
    const pg = { name: 'postgres', port: PG_PORT, targetPort: k8s.IntOrString.fromString('postgres') };
    new k8s.KubeService(this, 'keeper-svc', {
      metadata: { name: stolonName('keeper'), namespace: NAMESPACE, labels },
      spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector: podLabels('keeper'), ports: [pg] },
    });
    new k8s.KubeService(this, 'proxy-svc', {
      metadata: { name: stolonName('proxy'), namespace: NAMESPACE, labels },
      spec: { selector: podLabels('proxy'), ports: [pg] },
    });
    // Readers: every ready keeper. On a standby site all of them are hot standbys, and they keep
    // answering when the primary site is gone (the degraded mode of seed 000).
    new k8s.KubeService(this, 'readonly-svc', {
      metadata: { name: STOLON_OBJECTS.readOnly, namespace: NAMESPACE, labels },
      spec: { selector: podLabels('keeper'), ports: [pg] },
    });
    if (isPrimary) {
      const endpoint = metallb.fixedLoadBalancer(this, 'database');
      this.stateDatabaseFact('primary', endpoint.address, PG_PORT);
      new k8s.KubeService(this, 'primary-svc', {
        metadata: { name: STOLON_OBJECTS.primary, namespace: NAMESPACE, labels, annotations: endpoint.annotations },
        spec: {
          type: endpoint.type,
          // Keeps the client's source address, which the NetworkPolicy's ipBlock checks.
          externalTrafficPolicy: endpoint.externalTrafficPolicy,
          selector: podLabels('proxy'),
          ports: [pg],
        },
      });
    }
  }
}
