import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PlatformError } from '../model/errors';
import { validateSites } from '../pipeline/validate-sites';
import { EDGE, SITES, type EdgeProxy } from '../sites';
import { cluster1 } from '../sites/cluster1';
import { cluster2 } from '../sites/cluster2';
import { REPO_ROOT, tempDir, withChange } from './helpers';

function errorsOf(sites: Parameters<typeof validateSites>[0]): string[] {
  return errorsOfModel(sites);
}

function errorsOfModel(sites: Parameters<typeof validateSites>[0], edge?: EdgeProxy): string[] {
  try {
    validateSites(sites, edge);
  } catch (err) {
    if (err instanceof PlatformError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('site validation', () => {
  it('accepts the committed sites', () => {
    expect(errorsOf(SITES)).toEqual([]);
  });

  it.each<[string, (s: Record<string, unknown>) => void, RegExp]>([
    ['a bad site name', (s) => (s.name = 'Cluster_1'), /site Cluster_1 .*field name: expected a DNS label/],
    [
      'a Kubernetes version that is no minor release',
      (s) => (s.kubernetesVersion = '1.36.2'),
      /site cluster1 \(sites\/cluster1.ts\), field kubernetesVersion: expected a Kubernetes minor release like '1.36', got "1.36.2"/,
    ],
    [
      'an acceptance of a pin outside its range without a reason',
      (s) => (s.compatibility = { acceptOutsideRange: { 'contour@0.7.0': '' } }),
      /site cluster1 \(sites\/cluster1.ts\), field compatibility\.acceptOutsideRange\.contour@0\.7\.0: expected why the pin runs outside its Kubernetes range/,
    ],
    [
      'a node address that is not IPv4',
      (s) => ((s.nodes as Record<string, unknown>[])[1]!.address = '192.0.2.300'),
      /field nodes\[1\]\.address: expected an IPv4 address, got "192.0.2.300"/,
    ],
    [
      'a duplicate node name',
      (s) => ((s.nodes as Record<string, unknown>[])[2]!.name = 'chataalk-balzac'),
      /field nodes\[2\]\.name: node name 'chataalk-balzac' is used twice/,
    ],
    [
      'a bus role that is neither hub nor leaf',
      (s) => ((s.bus as Record<string, unknown>).role = 'gateway'),
      /site cluster1 \(sites\/cluster1.ts\), field bus\.role: expected 'hub' or 'leaf', got "gateway"/,
    ],
    [
      'a missing Vault role',
      (s) => delete (s.vault as Record<string, unknown>).authRole,
      /field vault\.authRole: missing; expected a string \(Vault role the External Secrets service account logs in as\)$/,
    ],
    [
      'a bad pool entry',
      (s) => ((s.loadBalancer as Record<string, unknown>).ipv4 = ['192.0.2.300/24']),
      /field loadBalancer\.ipv4\[0\]: expected an IPv4 address, CIDR or first-last range/,
    ],
    [
      'a fixed address outside the pool',
      (s) => (((s.loadBalancer as Record<string, unknown>).fixed as Record<string, unknown>).bus = '192.0.2.200'),
      /field loadBalancer\.fixed\.bus: 192\.0\.2\.200 is not inside loadBalancer\.ipv4/,
    ],
    [
      'two services on one fixed address',
      (s) => (((s.loadBalancer as Record<string, unknown>).fixed as Record<string, unknown>).bus = '192.0.2.100'),
      /field loadBalancer\.fixed\.bus: 192\.0\.2\.100 is already the ingress address/,
    ],
    [
      'a bad data disk',
      (s) => ((s.nodes as Record<string, unknown>[])[0]!.dataDisks = [{ uri: 'sdb', sizeGiB: 20 }]),
      /field nodes\[0\]\.dataDisks\[0\]\.uri: expected a device URI/,
    ],
    [
      'a storage node on the seeds’ Ubuntu 18.04 kernel',
      (s) => (((s.nodes as Record<string, unknown>[])[0]!.host as Record<string, unknown>).kernel = '4.15.0-213-generic'),
      /field nodes\[0\]\.host\.kernel: a storage node .* needs kernel 5\.13 or newer, got 4\.15\.0-213-generic/,
    ],
    [
      'a kernel version that is not one',
      (s) => (((s.nodes as Record<string, unknown>[])[1]!.host as Record<string, unknown>).kernel = 'jammy'),
      /field nodes\[1\]\.host\.kernel: expected a kernel version like "5\.15", got "jammy"/,
    ],
    [
      'a storage node without enough hugepages',
      (s) => (((s.nodes as Record<string, unknown>[])[2]!.host as Record<string, unknown>).hugepages2MiB = 1024),
      /field nodes\[2\]\.host\.hugepages2MiB: a storage node .* needs 2048 MiB of 2 MiB hugepages, got 1024/,
    ],
    [
      'a storage node without nvme-tcp',
      (s) => (((s.nodes as Record<string, unknown>[])[0]!.host as Record<string, unknown>).kernelModules = []),
      /field nodes\[0\]\.host\.kernelModules: a storage node .* needs the nvme-tcp module loaded at boot/,
    ],
    [
      'a node without host facts',
      (s) => delete (s.nodes as Record<string, unknown>[])[0]!.host,
      /field nodes\[0\]\.host: missing; expected an object \(Host facts \(OS, kernel, hugepages, modules\) the storage layer depends on\)$/,
    ],
    [
      'fewer storage nodes than the default class has replicas',
      (s) => (s.nodes as Record<string, unknown>[]).slice(1).forEach((n) => (n.dataDisks = [])),
      /field nodes: 1 storage node\(s\) \(nodes with dataDisks\); the default StorageClass keeps 2 replicas/,
    ],
    [
      'an empty Vault role',
      (s) => ((s.vault as Record<string, unknown>).authRole = ''),
      /field vault\.authRole: expected the Vault role name, got ""/,
    ],
    [
      'a bad git URL',
      (s) => ((s.gitops as Record<string, unknown>).repoUrl = 'gitlab:platform'),
      /field gitops\.repoUrl: expected a git URL/,
    ],
  ])('rejects %s, naming the site file and the field', (_what, change, expected) => {
    const broken = withChange(cluster1, change);
    const errors = errorsOf([broken, cluster2]);
    expect(errors.some((e) => expected.test(e))).toBe(true);
  });

  it('accepts an old kernel and no hugepages on a node that stores nothing', () => {
    const computeOnly = withChange(cluster1, (s) => {
      const node = (s.nodes as Record<string, unknown>[])[2]!;
      node.dataDisks = [];
      node.host = { os: 'Ubuntu 18.04', kernel: '4.15', hugepages2MiB: 0, kernelModules: [] };
    });
    expect(errorsOf([computeOnly, cluster2])).toEqual([]);
  });

  it('rejects two sites with the same name', () => {
    expect(errorsOf([cluster1, withChange(cluster2, (s) => (s.name = 'cluster1'))]).join('\n')).toMatch(/2 sites are named 'cluster1'/);
  });

  it('rejects a node that belongs to two sites', () => {
    const clash = withChange(cluster2, (s) => ((s.nodes as Record<string, unknown>[])[0]!.name = 'chataalk-zola'));
    expect(errorsOf([cluster1, clash]).join('\n')).toMatch(
      /site cluster2 .*field nodes\[0\]\.name: node 'chataalk-zola' is also a node of site cluster1/,
    );
  });

  it('rejects address pools shared by two sites', () => {
    const shared = withChange(cluster2, (s) => {
      s.loadBalancer = {
        ...(s.loadBalancer as object),
        ipv4: ['192.0.2.96/28'],
        fixed: { ingress: '192.0.2.97', database: '192.0.2.98', bus: '192.0.2.99' },
      };
    });
    expect(errorsOf([cluster1, shared]).join('\n')).toMatch(
      /site cluster2 .*field loadBalancer: its address pool overlaps site cluster1's/,
    );
  });

  it('rejects two sites with the same per-site name', () => {
    const clash = withChange(cluster2, (s) => (s.dns = { publicDomain: 'chataik.fr', siteHostname: 'chataalk.chataik.fr' }));
    expect(errorsOf([cluster1, clash]).join('\n')).toMatch(
      /site cluster2 .*field dns\.siteHostname: chataalk\.chataik\.fr is already site cluster1's name/,
    );
  });

  it('requires exactly one database primary', () => {
    const twoPrimaries = withChange(cluster1, (s) => (s.database = { role: 'primary' }));
    expect(errorsOf([twoPrimaries, cluster2]).join('\n')).toMatch(
      /field database\.role: exactly one site must be the database primary, found 2 \(cluster1, cluster2\)/,
    );
    const none = withChange(cluster2, (s) => (s.database = { role: 'standby' }));
    expect(errorsOf([cluster1, none]).join('\n')).toMatch(/exactly one site must be the database primary, found 0/);
  });

  it('requires exactly one bus hub', () => {
    const twoHubs = withChange(cluster1, (s) => (s.bus = { role: 'hub' }));
    expect(errorsOf([twoHubs, cluster2]).join('\n')).toMatch(
      /field bus\.role: exactly one site must be the bus hub .*found 2 \(cluster1, cluster2\)/,
    );
    const none = withChange(cluster2, (s) => (s.bus = { role: 'leaf' }));
    expect(errorsOf([cluster1, none]).join('\n')).toMatch(/exactly one site must be the bus hub .*found 0/);
  });

  it('accepts a third site added as data only', () => {
    const staging = withChange(cluster1, (s) => {
      s.name = 'staging';
      s.nodes = (s.nodes as Record<string, unknown>[]).map((n, i) => ({ ...n, name: `staging-${i}`, address: `203.0.113.${11 + i}` }));
      s.loadBalancer = {
        ipv4: ['203.0.113.100-203.0.113.107'],
        fixed: { ingress: '203.0.113.100', database: '203.0.113.101', bus: '203.0.113.102' },
      };
      s.dns = { publicDomain: 'chataik.fr', siteHostname: 'staging.chataik.fr' };
    });
    expect(errorsOf([cluster1, cluster2, staging])).toEqual([]);
  });
});

describe('site file shape (the schema generated from sites/types.ts)', () => {
  const only = (change: (s: Record<string, unknown>) => void) => errorsOf([withChange(cluster1, change), cluster2]);
  const prefix = 'site cluster1 (sites/cluster1.ts), field ';

  it.each<[string, (s: Record<string, unknown>) => void, string]>([
    [
      'systemWorkload (for systemWorkloads)',
      (s) => {
        s.systemWorkload = s.systemWorkloads;
        delete s.systemWorkloads;
      },
      'systemWorkload: unknown field; did you mean systemWorkloads?',
    ],
    [
      'components.optout (for optOut)',
      (s) => (s.components = { optout: { resizer: 'not here' } }),
      'components.optout: unknown field; did you mean components.optOut?',
    ],
    [
      'components.optOut.resiser (a component name: model/components.ts)',
      (s) => (s.components = { optOut: { resiser: 'not here' } }),
      'components.optOut.resiser: unknown field; did you mean components.optOut.resizer?',
    ],
    [
      'dns.siteHostName (for siteHostname)',
      (s) => (s.dns = { publicDomain: 'chataik.fr', siteHostName: 'chataalk.chataik.fr' }),
      'dns.siteHostName: unknown field; did you mean dns.siteHostname?',
    ],
    [
      'a misspelt field in one branch of a union (the S3 object store)',
      (s) => (s.objectStore = { ...(s.objectStore as object), pathstyle: true }),
      'objectStore.pathstyle: unknown field; did you mean objectStore.pathStyle?',
    ],
    [
      'a misspelt field deep in a list',
      (s) => ((s.nodes as Record<string, unknown>[])[2]!.dataDisk = []),
      'nodes[2].dataDisk: unknown field; did you mean nodes[2].dataDisks?',
    ],
  ])('refuses the unknown field %s, naming the one meant', (_what, change, expected) => {
    expect(only(change)).toEqual([prefix + expected]);
  });

  it('lists the declared fields when no declared one is close', () => {
    const [error] = only((s) => (s.network = { ...(s.network as object), mtu: 1450 }));
    expect(error).toBe(`${prefix}network.mtu: unknown field; the fields here are podCidr, serviceCidr, apiServer, dns`);
  });

  it.each<[string, (s: Record<string, unknown>) => void, string]>([
    ['a number given as text', (s) => ((s.nodes as Record<string, unknown>[])[0]!.vcpu = '4'), 'nodes[0].vcpu: expected a number, got "4"'],
    [
      'an object-store kind that does not exist',
      (s) => (s.objectStore = { kind: 'gcs', bucket: 'x' }),
      `objectStore.kind: expected 'minio', 's3' or 'aws', got "gcs"`,
    ],
    [
      'a replica count that is neither a number nor perNode',
      (s) => ((s.systemWorkloads as Record<string, unknown>[]) = [{ name: 'x', replicas: 'all', cpuMillis: 1, memoryMiB: 1 }]),
      `systemWorkloads[0].replicas: expected a number or 'perNode', got "all"`,
    ],
    [
      'a list given as one value',
      (s) => (s.loadBalancer = { ...(s.loadBalancer as object), ipv4: '192.0.2.100' }),
      'loadBalancer.ipv4: expected a list, got "192.0.2.100"',
    ],
  ])('refuses %s, saying what the type declares', (_what, change, expected) => {
    expect(only(change)).toEqual([prefix + expected]);
  });

  it('checks the shape before any other check, and every site file at once', () => {
    const errors = errorsOf([
      withChange(cluster1, (s) => {
        s.systemWorkload = [];
        (s.nodes as Record<string, unknown>[])[1]!.address = '192.0.2.300';
      }),
      withChange(cluster2, (s) => (s.locaton = 'x')),
    ]);
    expect(errors).toEqual([
      `${prefix}systemWorkload: unknown field; did you mean systemWorkloads?`,
      'site cluster2 (sites/cluster2.ts), field locaton: unknown field; did you mean location?',
    ]);
  });

  it('names a site without a usable name by its place in sites/index.ts', () => {
    expect(errorsOf([cluster1, withChange(cluster2, (s) => delete s.name)])).toEqual([
      'field SITES[1].name (sites/index.ts): missing; expected a string (Short identifier, also the directory under gitops/ (lowercase letters, digits, dashes))',
    ]);
  });

  it('checks the edge file too', () => {
    const edge = { ...EDGE, maxConnection: 10, split: { mode: 'weighted', weight: {} } } as unknown as EdgeProxy;
    expect(errorsOfModel(SITES, edge)).toEqual([
      'field maxConnection (sites/edge.ts): unknown field; did you mean maxConnections?',
      'field split.weights (sites/edge.ts): missing; expected a map of names to numbers (Weight per site name (1..256); a site missing here gets no traffic)',
      'field split.weight (sites/edge.ts): unknown field; did you mean split.weights?',
    ]);
  });
});

describe('the site schema is generated from sites/types.ts', () => {
  type Schema = { definitions: Record<string, { properties?: Record<string, unknown> }> };
  /**
   * The schema tools/site-shape.mjs generates from each types file (undefined: sites/types.ts), in
   * one child process (it is an ES module); each file gets a TypeScript program of its own.
   */
  function generated(typesFiles: readonly (string | undefined)[]): Schema[] {
    const generator = pathToFileURL(path.join(REPO_ROOT, 'tools', 'site-shape.mjs')).href;
    const script = `import { siteSchema } from ${JSON.stringify(generator)};
process.stdout.write(JSON.stringify(${JSON.stringify(typesFiles)}.map((file) => siteSchema(file ?? undefined).schema)));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Schema[];
  }

  const types = fs.readFileSync(path.join(REPO_ROOT, 'sites', 'types.ts'), 'utf8');
  const anchor = '  readonly location: string;\n';
  const work = tempDir();
  afterAll(work.cleanup);
  /** The schema of sites/types.ts as it is, and of a copy with a field added after `anchor`. */
  let current: Schema;
  let withField: Schema;
  beforeAll(() => {
    const file = path.join(work.dir, 'types.ts');
    fs.writeFileSync(
      file,
      types.replace(anchor, `${anchor}  /** A field added for the test. */\n  readonly trafficClass?: 'public' | 'internal';\n`),
    );
    [current, withField] = generated([undefined, file]) as [Schema, Schema];
  });

  it('as it is now: the validators synth loads were built from the current file', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const built = require('../dist/site-shape.js') as { schema: unknown };
    expect(built.schema).toEqual(current);
  });

  it('so a field added to the types is a field the check accepts, with nothing else to change', () => {
    expect(types).toContain(anchor);
    const site = withField.definitions.Site!;
    expect(site.properties!.trafficClass).toEqual({
      type: 'string',
      enum: ['public', 'internal'],
      description: 'A field added for the test.',
    });
    // The committed types do not have it: today's check refuses it.
    expect(errorsOf([withChange(cluster1, (s) => (s.trafficClass = 'public')), cluster2])[0]).toMatch(/field trafficClass: unknown field/);
  });
});
