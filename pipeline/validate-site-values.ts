/**
 * The values of one site file, once its shape is known to be right (pipeline/site-shape.ts):
 * addresses, names, sizes, URLs, what a storage node needs. The checks that span sites are in
 * validate-sites.ts. Each finding names the site, the field and what is expected.
 */
import { kubernetesMinor } from '../charts/lib/upstream';
import { RESIZER_WORKLOADS } from '../charts/resizer/config';
import type { Site, SiteNode } from '../sites';
import {
  DEFAULT_CLASS_REPLICAS,
  IO_ENGINE_HUGEPAGES_MIB,
  MIN_KERNEL,
  NVME_TCP_MODULE,
  kernelIsRecentEnough,
  parseKernel,
} from '../charts/storage/requirements';
import { HOSTNAME, isIPv4, parseRange, rangeContains, type AddressRange } from '../model/addresses';
import type { Finding } from '../model/errors';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const nonEmpty = (v: string): boolean => v.length > 0;
const positive = (v: number): boolean => Number.isFinite(v) && v > 0;
const nonNegative = (v: number): boolean => Number.isFinite(v) && v >= 0;
const wholeAtLeast = (least: number) => (v: number) => Number.isInteger(v) && v >= least;
const ipv4Cidr = (v: string): boolean => v.includes('/') && parseRange(v)?.family === 4;
const port = (v: number): boolean => Number.isInteger(v) && v > 0 && v < 65536;
const hostname = (v: string): boolean => HOSTNAME.test(v);
const gitUrl = (v: string): boolean => /^(https?|ssh|git):\/\/[^\s]+$/.test(v);

class SiteChecker {
  readonly findings: Finding[] = [];

  constructor(private readonly site: string) {}

  /** Reports `field` unless `ok(value)`; returns whether it passed. */
  expect<T>(field: string, value: T, ok: (value: T) => boolean, expected: string): boolean {
    if (ok(value)) return true;
    this.report(field, `expected ${expected}, got ${JSON.stringify(value) ?? 'nothing'}`);
    return false;
  }

  /** The same for a field that may be left out. */
  optional<T>(field: string, value: T | undefined, ok: (value: T) => boolean, expected: string): void {
    if (value !== undefined) this.expect(field, value, ok, expected);
  }

  report(field: string, message: string): void {
    this.findings.push({ site: this.site, field, message });
  }
}

/** Findings about one site's values, and its MetalLB pool's ranges (for the overlap check across sites). */
export function checkSiteValues(site: Site): { findings: Finding[]; pools: AddressRange[] } {
  const c = new SiteChecker(site.name);
  c.expect('name', site.name, (v) => DNS_LABEL.test(v) && v.length <= 40, 'a DNS label (lowercase letters, digits, dashes)');
  c.expect('location', site.location, nonEmpty, 'a non-empty string');
  // Whether the release is imported and every pin supports it is checked on the render (pipeline/validate).
  c.expect('kubernetesVersion', site.kubernetesVersion, (v) => kubernetesMinor(v) !== undefined, "a Kubernetes minor release like '1.36'");
  const { network, dns, vault, gitops } = site;
  c.expect('network.podCidr', network.podCidr, ipv4Cidr, 'an IPv4 CIDR');
  c.expect('network.serviceCidr', network.serviceCidr, ipv4Cidr, 'an IPv4 CIDR');
  c.expect('network.apiServer.address', network.apiServer.address, isIPv4, 'an IPv4 address');
  c.expect('network.apiServer.port', network.apiServer.port, port, 'a TCP port');
  c.expect('network.dns.clusterAddress', network.dns.clusterAddress, isIPv4, 'the IPv4 address of the cluster DNS Service');
  c.optional('network.dns.nodeLocalAddress', network.dns.nodeLocalAddress, isIPv4, 'the IPv4 address of NodeLocal DNSCache on the nodes');
  c.expect('dns.publicDomain', dns.publicDomain, hostname, 'a lowercase DNS name');
  c.optional('dns.siteHostname', dns.siteHostname, hostname, 'a lowercase DNS name');
  c.expect('vault.address', vault.address, (v) => /^https?:\/\/[^\s]+$/.test(v), 'an http(s) URL');
  c.expect('vault.authMount', vault.authMount, nonEmpty, 'the Vault Kubernetes auth mount path');
  c.expect('vault.authRole', vault.authRole, nonEmpty, 'the Vault role name');
  c.expect('vault.kvMount', vault.kvMount, nonEmpty, 'the Vault KV v2 mount');
  c.expect('gitops.repoUrl', gitops.repoUrl, gitUrl, 'a git URL (https://, ssh:// or git://)');
  c.expect('gitops.revision', gitops.revision, nonEmpty, 'a branch, tag or commit');

  checkNodes(c, site.nodes);
  site.systemWorkloads?.forEach((w, i) => {
    const p = `systemWorkloads[${i}]`;
    c.expect(`${p}.name`, w.name, nonEmpty, 'a workload name');
    c.expect(`${p}.replicas`, w.replicas, (v) => v === 'perNode' || wholeAtLeast(0)(v), "'perNode' or a replica count");
    c.expect(`${p}.cpuMillis`, w.cpuMillis, nonNegative, 'millicores requested per pod');
    c.expect(`${p}.memoryMiB`, w.memoryMiB, nonNegative, 'MiB requested per pod');
  });
  const overcommit = site.capacity?.acceptOvercommit;
  if (overcommit !== undefined) {
    const f = 'capacity.acceptOvercommit';
    c.expect(`${f}.reason`, overcommit.reason, nonEmpty, 'why the overcommit is accepted');
    const percent = (v: number) => positive(v) && v >= 100;
    for (const [field, value] of [
      ['cpuPercent', overcommit.cpuPercent],
      ['memoryPercent', overcommit.memoryPercent],
      ['afterNodeLoss.cpuPercent', overcommit.afterNodeLoss?.cpuPercent],
      ['afterNodeLoss.memoryPercent', overcommit.afterNodeLoss?.memoryPercent],
      ['atAutoscalingMaximum.cpuPercent', overcommit.atAutoscalingMaximum?.cpuPercent],
      ['atAutoscalingMaximum.memoryPercent', overcommit.atAutoscalingMaximum?.memoryPercent],
    ] as const)
      c.optional(`${f}.${field}`, value, percent, 'a percentage >= 100');
  }
  for (const [pin, reason] of Object.entries(site.compatibility?.acceptOutsideRange ?? {}))
    c.expect(`compatibility.acceptOutsideRange.${pin}`, reason, nonEmpty, 'why the pin runs outside its Kubernetes range');
  for (const [name, reason] of Object.entries(site.components?.optOut ?? {}))
    c.expect(`components.optOut.${name}`, reason, nonEmpty, 'the reason this site does without the component');

  const pools = checkLoadBalancer(c, site);
  checkObjectStore(c, site);
  checkResizer(c, site);
  return { findings: c.findings, pools };
}

function checkNodes(c: SiteChecker, nodes: readonly SiteNode[]): void {
  if (nodes.length === 0) c.report('nodes', 'expected a non-empty list of nodes');
  const names = new Set<string>();
  let storageNodeCount = 0;
  nodes.forEach((node, i) => {
    const p = `nodes[${i}]`;
    if (c.expect(`${p}.name`, node.name, (v) => HOSTNAME.test(`${v}.x`), 'a lowercase node name')) {
      if (names.has(node.name)) c.report(`${p}.name`, `node name '${node.name}' is used twice in this site`);
      names.add(node.name);
    }
    c.expect(`${p}.address`, node.address, isIPv4, 'an IPv4 address');
    c.expect(`${p}.vcpu`, node.vcpu, positive, 'a positive number of vCPUs');
    c.expect(`${p}.memoryMiB`, node.memoryMiB, positive, 'a positive memory size in MiB');
    c.expect(`${p}.diskGB`, node.diskGB, positive, 'a positive disk size in GB');
    c.expect(`${p}.reserved.cpuMillis`, node.reserved.cpuMillis, nonNegative, 'the millicores the node keeps for itself');
    c.expect(`${p}.reserved.memoryMiB`, node.reserved.memoryMiB, nonNegative, 'the MiB the node keeps for itself');
    node.dataDisks.forEach((disk, d) => {
      c.expect(
        `${p}.dataDisks[${d}].uri`,
        disk.uri,
        (v) => /^(aio:\/\/|uring:\/\/)?\/dev\/\S+$/.test(v),
        'a device URI (aio:///dev/..., uring:///dev/... or /dev/...)',
      );
      c.expect(`${p}.dataDisks[${d}].sizeGiB`, disk.sizeGiB, positive, 'a positive size in GiB');
    });
    checkNodeHost(c, p, node);
    if (node.dataDisks.length > 0) storageNodeCount++;
  });
  if (nodes.length > 0 && storageNodeCount < DEFAULT_CLASS_REPLICAS) {
    c.report(
      'nodes',
      `${storageNodeCount} storage node(s) (nodes with dataDisks); the default StorageClass keeps ${DEFAULT_CLASS_REPLICAS} replicas on distinct nodes`,
    );
  }
}

/** Host facts of one node; a storage node (one with data disks) must meet Mayastor's needs. */
function checkNodeHost(c: SiteChecker, p: string, node: SiteNode): void {
  const { host } = node;
  c.expect(`${p}.host.os`, host.os, nonEmpty, 'the operating system release, e.g. "Ubuntu 22.04"');
  const kernelParses = c.expect(`${p}.host.kernel`, host.kernel, (v) => parseKernel(v) !== undefined, 'a kernel version like "5.15"');
  c.expect(`${p}.host.hugepages2MiB`, host.hugepages2MiB, nonNegative, 'the MiB reserved as 2 MiB hugepages (0 if none)');
  if (node.dataDisks.length === 0) return;
  const why = 'a storage node (it has dataDisks, so it runs a Mayastor io-engine)';
  if (kernelParses && !kernelIsRecentEnough(host.kernel)) {
    c.report(`${p}.host.kernel`, `${why} needs kernel ${MIN_KERNEL.join('.')} or newer, got ${host.kernel}`);
  }
  if (host.hugepages2MiB < IO_ENGINE_HUGEPAGES_MIB) {
    c.report(`${p}.host.hugepages2MiB`, `${why} needs ${IO_ENGINE_HUGEPAGES_MIB} MiB of 2 MiB hugepages, got ${host.hugepages2MiB}`);
  }
  if (!host.kernelModules.some((m) => m === NVME_TCP_MODULE || m === 'nvme_tcp')) {
    c.report(`${p}.host.kernelModules`, `${why} needs the ${NVME_TCP_MODULE} module loaded at boot`);
  }
}

/** The MetalLB pool and the fixed addresses taken from it; returns the pool's ranges. */
function checkLoadBalancer(c: SiteChecker, site: Site): AddressRange[] {
  const pools: AddressRange[] = [];
  const { loadBalancer } = site;
  if (loadBalancer.ipv4.length === 0) c.report('loadBalancer.ipv4', 'expected a list of addresses or ranges');
  for (const [family, list] of [
    ['ipv4', loadBalancer.ipv4],
    ['ipv6', loadBalancer.ipv6 ?? []],
  ] as const) {
    list.forEach((entry, i) => {
      const range = parseRange(entry);
      if (!range || range.family !== (family === 'ipv4' ? 4 : 6)) {
        c.report(
          `loadBalancer.${family}[${i}]`,
          `expected an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address, CIDR or first-last range, got ${JSON.stringify(entry)}`,
        );
      } else pools.push(range);
    });
  }
  const fixedSeen = new Map<string, string>();
  for (const role of ['ingress', 'database', 'bus'] as const) {
    const field = `loadBalancer.fixed.${role}`;
    const ip = loadBalancer.fixed[role];
    if (!c.expect(field, ip, isIPv4, 'an IPv4 address from the pool')) continue;
    if (!pools.some((r) => rangeContains(r, ip))) c.report(field, `${ip} is not inside loadBalancer.ipv4`);
    const other = fixedSeen.get(ip);
    if (other) c.report(field, `${ip} is already the ${other} address`);
    fixedSeen.set(ip, role);
  }
  return pools;
}

/** The object-store choice (its kind and fields are the schema's): values checked for the kind chosen. */
function checkObjectStore(c: SiteChecker, site: Site): void {
  const store = site.objectStore;
  if (store.kind === 'minio') {
    c.expect('objectStore.volumeGiB', store.volumeGiB, (v) => positive(v) && Number.isInteger(v), 'a whole number of GiB');
    c.expect('objectStore.rootCredentialsPath', store.rootCredentialsPath, nonEmpty, 'the Vault path of the MinIO root credentials');
    // Mayastor places each replica of the volume in one node's pool: the volume must fit the smallest.
    const pools = site.nodes.map((n) => n.dataDisks.reduce((sum, d) => sum + d.sizeGiB, 0)).filter((gib) => gib > 0);
    if (pools.length < 2)
      c.report('objectStore.kind', `'minio' needs at least 2 storage nodes for a replicated volume, found ${pools.length}`);
    else if (store.volumeGiB > Math.min(...pools))
      c.report('objectStore.volumeGiB', `${store.volumeGiB} GiB does not fit the smallest Mayastor pool (${Math.min(...pools)} GiB)`);
  } else if (store.kind === 's3') {
    c.expect('objectStore.endpoint', store.endpoint, (v) => /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/.test(v), 'an http(s) URL without a path');
    c.expect('objectStore.region', store.region, nonEmpty, 'a region name');
    if (store.cidrs.length === 0) c.report('objectStore.cidrs', 'expected the IPv4 CIDRs the endpoint resolves to');
    store.cidrs.forEach((cidr, i) => c.expect(`objectStore.cidrs[${i}]`, cidr, ipv4Cidr, 'an IPv4 CIDR'));
    c.expect(
      'objectStore.bucketPrefix',
      store.bucketPrefix,
      (v) => /^[a-z0-9][a-z0-9-]{0,39}$/.test(v),
      'a bucket-name prefix (lowercase, digits, dashes, at most 40)',
    );
    c.expect('objectStore.credentialsPath', store.credentialsPath, nonEmpty, 'the Vault path prefix of the access keys');
  } else {
    c.expect('objectStore.stackName', store.stackName, (v) => /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(v), 'a CloudFormation stack name');
    c.expect('objectStore.region', store.region, (v) => /^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(v), 'an AWS region, e.g. eu-west-3');
    c.expect('objectStore.credentialsPath', store.credentialsPath, nonEmpty, 'the Vault path prefix of the IAM access keys');
  }
}

/** The resizer's images (charts/resizer/config.ts). */
const IMAGE_NAMES = Object.values(RESIZER_WORKLOADS);

/** The resizer's image source and replica bounds. */
function checkResizer(c: SiteChecker, site: Site): void {
  const { image } = site.resizer;
  c.expect(
    'resizer.image.registry',
    image.registry,
    (v) => /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(v),
    'a registry and path, e.g. registry.example.org/team',
  );
  c.expect(
    'resizer.image.tag',
    image.tag,
    (v) => /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(v) && v !== 'latest',
    "a release tag (not 'latest')",
  );
  for (const [name, digest] of Object.entries(image.digests ?? {})) {
    if (!IMAGE_NAMES.includes(name)) c.report(`resizer.image.digests.${name}`, `unknown image; expected one of ${IMAGE_NAMES.join(', ')}`);
    else
      c.expect(
        `resizer.image.digests.${name}`,
        digest,
        (v) => /^sha256:[a-f0-9]{64}$/.test(v),
        'sha256:<64 hex digits>, copied from the registry',
      );
  }
  for (const [group, least] of [
    ['api', 2],
    ['workers', 0],
  ] as const) {
    const { min, max } = site.resizer[group];
    c.expect(`resizer.${group}.min`, min, wholeAtLeast(least), `a whole number >= ${least}`);
    c.expect(`resizer.${group}.max`, max, wholeAtLeast(Math.max(1, min)), 'a whole number >= min and >= 1');
  }
}
