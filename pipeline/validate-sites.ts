/**
 * Checks the whole set of sites before anything is rendered. Site files are TypeScript, but the
 * render is transpiled without type-checking for speed and sites may come from other hands, so
 * every field a component reads is checked here at run time, with the site, the field and what is
 * expected.
 */
import type { Site } from '../sites';
import {
  DEFAULT_CLASS_REPLICAS,
  IO_ENGINE_HUGEPAGES_MIB,
  MIN_KERNEL,
  NVME_TCP_MODULE,
  kernelIsRecentEnough,
  parseKernel,
} from '../charts/storage/requirements';
import { HOSTNAME, isIPv4, parseRange, rangeContains, rangesOverlap, type AddressRange } from './addresses';
import { PlatformError, type Finding } from './errors';
import { certificateFindings } from './validate-ingress';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type Check = (value: unknown) => boolean;
const isText: Check = (v) => typeof v === 'string' && v.length > 0;
const isPositive: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const isNonNegative: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isV4: Check = (v) => typeof v === 'string' && isIPv4(v);
const isV4Cidr: Check = (v) => typeof v === 'string' && v.includes('/') && parseRange(v)?.family === 4;
const isPort: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536;
const isUrl: Check = (v) => typeof v === 'string' && /^(https?|ssh|git):\/\/[^\s]+$/.test(v);

class SiteChecker {
  readonly findings: Finding[] = [];

  constructor(private readonly site: Site) {}

  /** Reads a dotted path from the site without trusting its shape. */
  get(field: string): unknown {
    let value: unknown = this.site;
    for (const key of field.split(/[.[\]]+/).filter(Boolean)) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  }

  expect(field: string, check: Check, expected: string): unknown {
    const value = this.get(field);
    if (!check(value)) this.report(field, `expected ${expected}, got ${JSON.stringify(value) ?? 'nothing'}`);
    return value;
  }

  report(field: string, message: string): void {
    this.findings.push({ site: typeof this.site.name === 'string' ? this.site.name : '?', field, message });
  }
}

function checkOneSite(site: Site): { findings: Finding[]; pools: AddressRange[] } {
  const c = new SiteChecker(site);
  c.expect('name', (v) => typeof v === 'string' && DNS_LABEL.test(v) && v.length <= 40, 'a DNS label (lowercase letters, digits, dashes)');
  c.expect('location', isText, 'a non-empty string');
  c.expect('kubernetesVersion', (v) => v === '1.28', "'1.28' (the version the imported schemas and cdk8s-plus-28 describe)");
  c.expect('network.podCidr', isV4Cidr, 'an IPv4 CIDR');
  c.expect('network.serviceCidr', isV4Cidr, 'an IPv4 CIDR');
  c.expect('network.apiServer.address', isV4, 'an IPv4 address');
  c.expect('network.apiServer.port', isPort, 'a TCP port');
  c.expect('network.dns.clusterAddress', isV4, 'the IPv4 address of the cluster DNS Service');
  if (c.get('network.dns.nodeLocalAddress') !== undefined)
    c.expect('network.dns.nodeLocalAddress', isV4, 'the IPv4 address of NodeLocal DNSCache on the nodes');
  c.expect('dns.publicDomain', (v) => typeof v === 'string' && HOSTNAME.test(v), 'a lowercase DNS name');
  const siteHostname = c.get('dns.siteHostname');
  if (siteHostname !== undefined) c.expect('dns.siteHostname', (v) => typeof v === 'string' && HOSTNAME.test(v), 'a lowercase DNS name');
  if (c.get('dns.servesPublicDomain') !== undefined) c.expect('dns.servesPublicDomain', (v) => typeof v === 'boolean', 'true or false');
  c.expect('database.role', (v) => v === 'primary' || v === 'standby', "'primary' or 'standby'");
  c.expect('bus.role', (v) => v === 'hub' || v === 'leaf', "'hub' or 'leaf'");
  c.expect('vault.address', (v) => typeof v === 'string' && /^https?:\/\/[^\s]+$/.test(v), 'an http(s) URL');
  c.expect('vault.authMount', isText, 'the Vault Kubernetes auth mount path');
  c.expect('vault.authRole', isText, 'the Vault role name');
  c.expect('vault.kvMount', isText, 'the Vault KV v2 mount');
  c.expect('gitops.repoUrl', isUrl, 'a git URL (https://, ssh:// or git://)');
  c.expect('gitops.revision', isText, 'a branch, tag or commit');

  const nodes = c.expect('nodes', (v) => Array.isArray(v) && v.length > 0, 'a non-empty list of nodes');
  const nodeCount = Array.isArray(nodes) ? nodes.length : 0;
  const names = new Set<string>();
  let storageNodeCount = 0;
  for (let i = 0; i < nodeCount; i++) {
    const p = `nodes[${i}]`;
    const name = c.expect(`${p}.name`, (v) => typeof v === 'string' && HOSTNAME.test(`${v}.x`), 'a lowercase node name');
    if (typeof name === 'string') {
      if (names.has(name)) c.report(`${p}.name`, `node name '${name}' is used twice in this site`);
      names.add(name);
    }
    c.expect(`${p}.address`, isV4, 'an IPv4 address');
    c.expect(`${p}.vcpu`, isPositive, 'a positive number of vCPUs');
    c.expect(`${p}.memoryMiB`, isPositive, 'a positive memory size in MiB');
    c.expect(`${p}.diskGB`, isPositive, 'a positive disk size in GB');
    c.expect(`${p}.controlPlane`, (v) => typeof v === 'boolean', 'true or false');
    c.expect(`${p}.reserved.cpuMillis`, isNonNegative, 'the millicores the node keeps for itself');
    c.expect(`${p}.reserved.memoryMiB`, isNonNegative, 'the MiB the node keeps for itself');
    const disks = c.expect(`${p}.dataDisks`, Array.isArray, 'a list of data disks (empty if none)');
    for (let d = 0; Array.isArray(disks) && d < disks.length; d++) {
      c.expect(
        `${p}.dataDisks[${d}].uri`,
        (v) => typeof v === 'string' && /^(aio:\/\/|uring:\/\/)?\/dev\/\S+$/.test(v),
        'a device URI (aio:///dev/..., uring:///dev/... or /dev/...)',
      );
      c.expect(`${p}.dataDisks[${d}].sizeGiB`, isPositive, 'a positive size in GiB');
    }
    checkNodeHost(c, p, Array.isArray(disks) && disks.length > 0);
    if (Array.isArray(disks) && disks.length > 0) storageNodeCount++;
  }
  if (nodeCount > 0 && storageNodeCount < DEFAULT_CLASS_REPLICAS) {
    c.report(
      'nodes',
      `${storageNodeCount} storage node(s) (nodes with dataDisks); the default StorageClass keeps ${DEFAULT_CLASS_REPLICAS} replicas on distinct nodes`,
    );
  }

  const system = c.get('systemWorkloads');
  if (system !== undefined) {
    c.expect('systemWorkloads', Array.isArray, 'a list of workloads the installer runs');
    for (let i = 0; Array.isArray(system) && i < system.length; i++) {
      c.expect(`systemWorkloads[${i}].name`, isText, 'a workload name');
      c.expect(
        `systemWorkloads[${i}].replicas`,
        (v) => v === 'perNode' || (typeof v === 'number' && Number.isInteger(v) && v >= 0),
        "'perNode' or a replica count",
      );
      c.expect(`systemWorkloads[${i}].cpuMillis`, isNonNegative, 'millicores requested per pod');
      c.expect(`systemWorkloads[${i}].memoryMiB`, isNonNegative, 'MiB requested per pod');
    }
  }
  const overcommit = 'capacity.acceptOvercommit';
  if (c.get(overcommit) !== undefined) {
    c.expect(`${overcommit}.reason`, isText, 'why the overcommit is accepted');
    for (const field of [
      'cpuPercent',
      'memoryPercent',
      'afterNodeLoss.cpuPercent',
      'afterNodeLoss.memoryPercent',
      'atAutoscalingMaximum.cpuPercent',
      'atAutoscalingMaximum.memoryPercent',
    ]) {
      if (c.get(`${overcommit}.${field}`) !== undefined)
        c.expect(`${overcommit}.${field}`, (v) => isPositive(v) && (v as number) >= 100, 'a percentage >= 100');
    }
  }
  const optOut = c.get('components.optOut');
  if (optOut !== undefined) {
    c.expect('components.optOut', (v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'a map of component name to reason');
    for (const name of Object.keys(typeof optOut === 'object' && optOut !== null ? optOut : {}))
      c.expect(`components.optOut.${name}`, isText, 'the reason this site does without the component');
  }

  const pools: AddressRange[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const list = c.get(`loadBalancer.${family}`);
    if (list === undefined && family === 'ipv6') continue;
    if (!Array.isArray(list) || (family === 'ipv4' && list.length === 0)) {
      c.report(`loadBalancer.${family}`, 'expected a list of addresses or ranges');
      continue;
    }
    list.forEach((entry: unknown, i: number) => {
      const range = typeof entry === 'string' ? parseRange(entry) : undefined;
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
    const ip = c.expect(field, isV4, 'an IPv4 address from the pool');
    if (typeof ip !== 'string' || !isIPv4(ip)) continue;
    if (!pools.some((r) => rangeContains(r, ip))) c.report(field, `${ip} is not inside loadBalancer.ipv4`);
    const other = fixedSeen.get(ip);
    if (other) c.report(field, `${ip} is already the ${other} address`);
    fixedSeen.set(ip, role);
  }
  checkObjectStore(c, site);
  checkResizer(c);
  return { findings: c.findings, pools };
}

/** Host facts of one node; a storage node (one with data disks) must meet Mayastor's needs. */
function checkNodeHost(c: SiteChecker, p: string, storage: boolean): void {
  c.expect(`${p}.host.os`, isText, 'the operating system release, e.g. "Ubuntu 22.04"');
  const kernel = c.expect(`${p}.host.kernel`, (v) => typeof v === 'string' && parseKernel(v) !== undefined, 'a kernel version like "5.15"');
  const hugepages = c.expect(`${p}.host.hugepages2MiB`, isNonNegative, 'the MiB reserved as 2 MiB hugepages (0 if none)');
  const modules = c.expect(
    `${p}.host.kernelModules`,
    (v) => Array.isArray(v) && v.every((m) => typeof m === 'string'),
    'a list of kernel module names loaded at boot',
  );
  if (!storage) return;
  const why = 'a storage node (it has dataDisks, so it runs a Mayastor io-engine)';
  if (typeof kernel === 'string' && parseKernel(kernel) && !kernelIsRecentEnough(kernel)) {
    c.report(`${p}.host.kernel`, `${why} needs kernel ${MIN_KERNEL.join('.')} or newer, got ${kernel}`);
  }
  if (typeof hugepages === 'number' && hugepages < IO_ENGINE_HUGEPAGES_MIB) {
    c.report(`${p}.host.hugepages2MiB`, `${why} needs ${IO_ENGINE_HUGEPAGES_MIB} MiB of 2 MiB hugepages, got ${hugepages}`);
  }
  if (Array.isArray(modules) && !modules.some((m) => m === NVME_TCP_MODULE || m === 'nvme_tcp')) {
    c.report(`${p}.host.kernelModules`, `${why} needs the ${NVME_TCP_MODULE} module loaded at boot`);
  }
}

const IMAGE_NAMES = ['resizer-api', 'resizer-worker'];

/** The object-store choice: one of three shapes, each field checked for the kind chosen. */
function checkObjectStore(c: SiteChecker, site: Site): void {
  const kind = c.expect('objectStore.kind', (v) => v === 'minio' || v === 's3' || v === 'aws', "'minio', 's3' or 'aws'");
  if (kind === 'minio') {
    const size = c.expect('objectStore.volumeGiB', (v) => isPositive(v) && Number.isInteger(v), 'a whole number of GiB');
    c.expect('objectStore.rootCredentialsPath', isText, 'the Vault path of the MinIO root credentials');
    // Mayastor places each replica of the volume in one node's pool: the volume must fit the smallest.
    const pools = (Array.isArray(site.nodes) ? site.nodes : [])
      .map((n) =>
        Array.isArray(n.dataDisks) ? n.dataDisks.reduce((sum: number, d: { sizeGiB: unknown }) => sum + (Number(d.sizeGiB) || 0), 0) : 0,
      )
      .filter((gib) => gib > 0);
    if (pools.length < 2)
      c.report('objectStore.kind', `'minio' needs at least 2 storage nodes for a replicated volume, found ${pools.length}`);
    else if (typeof size === 'number' && size > Math.min(...pools))
      c.report('objectStore.volumeGiB', `${size} GiB does not fit the smallest Mayastor pool (${Math.min(...pools)} GiB)`);
  } else if (kind === 's3') {
    c.expect(
      'objectStore.endpoint',
      (v) => typeof v === 'string' && /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/.test(v),
      'an http(s) URL without a path',
    );
    c.expect('objectStore.region', isText, 'a region name');
    const cidrs = c.expect('objectStore.cidrs', (v) => Array.isArray(v) && v.length > 0, 'the IPv4 CIDRs the endpoint resolves to');
    if (Array.isArray(cidrs)) cidrs.forEach((_, i) => c.expect(`objectStore.cidrs[${i}]`, isV4Cidr, 'an IPv4 CIDR'));
    c.expect(
      'objectStore.bucketPrefix',
      (v) => typeof v === 'string' && /^[a-z0-9][a-z0-9-]{0,39}$/.test(v),
      'a bucket-name prefix (lowercase, digits, dashes, at most 40)',
    );
    c.expect('objectStore.credentialsPath', isText, 'the Vault path prefix of the access keys');
    c.expect('objectStore.pathStyle', (v) => typeof v === 'boolean', 'true or false');
  } else if (kind === 'aws') {
    c.expect(
      'objectStore.stackName',
      (v) => typeof v === 'string' && /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(v),
      'a CloudFormation stack name',
    );
    c.expect('objectStore.region', (v) => typeof v === 'string' && /^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(v), 'an AWS region, e.g. eu-west-3');
    c.expect('objectStore.credentialsPath', isText, 'the Vault path prefix of the IAM access keys');
  }
}

/** The resizer's image source and replica bounds. */
function checkResizer(c: SiteChecker): void {
  c.expect(
    'resizer.image.registry',
    (v) => typeof v === 'string' && /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(v),
    'a registry and path, e.g. registry.example.org/team',
  );
  c.expect(
    'resizer.image.tag',
    (v) => typeof v === 'string' && /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(v) && v !== 'latest',
    "a release tag (not 'latest')",
  );
  const digests = c.get('resizer.image.digests');
  if (digests !== undefined) {
    if (digests === null || typeof digests !== 'object') c.report('resizer.image.digests', 'expected a map of image name to digest');
    else
      for (const name of Object.keys(digests)) {
        if (!IMAGE_NAMES.includes(name))
          c.report(`resizer.image.digests.${name}`, `unknown image; expected one of ${IMAGE_NAMES.join(', ')}`);
        else
          c.expect(
            `resizer.image.digests.${name}`,
            (v) => typeof v === 'string' && /^sha256:[a-f0-9]{64}$/.test(v),
            'sha256:<64 hex digits>, copied from the registry',
          );
      }
  }
  for (const [group, least] of [
    ['api', 2],
    ['workers', 0],
  ] as const) {
    const min = c.expect(`resizer.${group}.min`, (v) => Number.isInteger(v) && (v as number) >= least, `a whole number >= ${least}`);
    c.expect(
      `resizer.${group}.max`,
      (v) => Number.isInteger(v) && (v as number) >= Math.max(1, typeof min === 'number' ? min : 1),
      `a whole number >= min and >= 1`,
    );
  }
}

/** Validates every site and the facts that span sites; throws one PlatformError listing them all. */
export function validateSites(sites: readonly Site[]): void {
  const findings: Finding[] = [];
  if (sites.length === 0) findings.push({ message: 'sites/index.ts registers no site' });
  const pools = new Map<string, AddressRange[]>();
  const siteNames = new Map<string, number>();
  const nodeOwners = new Map<string, string>();
  for (const site of sites) {
    const result = checkOneSite(site);
    findings.push(...result.findings, ...certificateFindings(site));
    pools.set(site.name, result.pools);
    siteNames.set(site.name, (siteNames.get(site.name) ?? 0) + 1);
    for (const [i, node] of (Array.isArray(site.nodes) ? site.nodes : []).entries()) {
      const owner = nodeOwners.get(node.name);
      if (owner !== undefined && owner !== site.name) {
        findings.push({ site: site.name, field: `nodes[${i}].name`, message: `node '${node.name}' is also a node of site ${owner}` });
      }
      nodeOwners.set(node.name, site.name);
    }
  }
  for (const [name, count] of siteNames) {
    if (count > 1) findings.push({ site: name, field: 'name', message: `${count} sites are named '${name}'; site names must be unique` });
  }
  const entries = [...pools.entries()];
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const [a, aRanges] = entries[i]!;
      const [b, bRanges] = entries[j]!;
      if (a !== b && aRanges.some((x) => bRanges.some((y) => rangesOverlap(x, y)))) {
        findings.push({
          site: b,
          field: 'loadBalancer',
          message: `its address pool overlaps site ${a}'s; each site needs its own floating addresses`,
        });
      }
    }
  }
  const hostnames = new Map<string, string>();
  for (const site of sites) {
    const name = site.dns?.siteHostname;
    if (name === undefined) continue;
    const other = hostnames.get(name);
    if (other !== undefined) {
      findings.push({
        site: site.name,
        field: 'dns.siteHostname',
        message: `${name} is already site ${other}'s name; each site needs its own`,
      });
    } else if (name === site.dns.publicDomain) {
      findings.push({
        site: site.name,
        field: 'dns.siteHostname',
        message: `${name} is the public domain every site serves; a per-site name must differ`,
      });
    }
    hostnames.set(name, site.name);
  }
  for (const site of sites) {
    if (site.database?.role === 'primary' && site.components?.optOut?.postgres !== undefined) {
      findings.push({
        site: site.name,
        field: 'components.optOut.postgres',
        message: 'the database primary site cannot leave PostgreSQL out: make another site the primary first (database.role)',
      });
    }
  }
  const primaries = sites.filter((s) => s.database?.role === 'primary').map((s) => s.name);
  if (sites.length > 0 && primaries.length !== 1) {
    findings.push({
      site: primaries[1] ?? sites[0]!.name,
      field: 'database.role',
      message: `exactly one site must be the database primary, found ${primaries.length}${primaries.length ? ` (${primaries.join(', ')})` : ''}`,
    });
  }
  const hubs = sites.filter((s) => s.bus?.role === 'hub').map((s) => s.name);
  if (sites.length > 0 && hubs.length !== 1) {
    findings.push({
      site: hubs[1] ?? sites[0]!.name,
      field: 'bus.role',
      message: `exactly one site must be the bus hub (the others dial it as leaf nodes), found ${hubs.length}${hubs.length ? ` (${hubs.join(', ')})` : ''}`,
    });
  }
  if (findings.length > 0) throw new PlatformError(findings);
}
