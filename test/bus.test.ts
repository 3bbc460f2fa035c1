import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { TLS_DIR } from '../charts/bus/link-end';
import { renderSite, type KubeObject } from '../pipeline/render';
import { SITES, type Site, PLATFORM } from '../sites';
import { cluster1 } from '../sites/cluster1';
import { checkConfig, NATS_SERVER, podEnv } from './nats-helpers';
import { tempDir, withChange } from './helpers';
import { issue, makeCa } from './tls-helpers';

function busObjects(siteName: string): KubeObject[] {
  const site = SITES.find((s) => s.name === siteName)!;
  return renderSite(site, PLATFORM).components.find((c) => c.name === 'bus')!.objects as KubeObject[];
}

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
}

const { dir, cleanup } = tempDir('bus-test-');
afterAll(cleanup);

// nats-server -t loads the certificate files: the rendered paths point at certificates from a test CA.
const testTls = path.join(dir, 'tls');
issue(makeCa(path.join(dir, 'ca'), 'test-ca'), testTls, { commonName: 'test', ipAddresses: ['127.0.0.1'], usage: 'server' });

/** The rendered nats.conf, with the certificate directory moved to the test's. */
const configOf = (objects: readonly KubeObject[]): string =>
  (find(objects, 'ConfigMap', 'bus-nats-config').data as Record<string, string>)['nats.conf']!.replaceAll(TLS_DIR, testTls);

it('checks configurations with nats-server 2.9 (Debian bookworm)', () => {
  const r = spawnSync(NATS_SERVER, ['--version'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^nats-server: v2\.9\.\d+/);
});

describe.each(SITES.map((s) => [s.name] as const))('site %s', (siteName) => {
  const objects = busObjects(siteName);
  const statefulSet = find(objects, 'StatefulSet', 'bus-nats');
  const config = configOf(objects);

  it.each([0, 1, 2])('nats-server accepts the configuration of pod bus-nats-%i with the env the pod gets', (ordinal) => {
    const env = podEnv(statefulSet, `bus-nats-${ordinal}`);
    const r = checkConfig(dir, `${siteName}-${ordinal}.conf`, config, env);
    expect(r.output).toContain('is valid');
    expect(r.status).toBe(0);
  });

  it.each<[string, (text: string) => string, (env: Record<string, string>) => Record<string, string>, RegExp]>([
    ['a syntax error', (t) => t.replace(/\n}\n/, '\n'), (e) => e, /Parse error on line \d+/],
    ['an unknown top-level key', (t) => `${t}max_paylod: 1048576\n`, (e) => e, /unknown field "max_paylod"/],
    [
      'a password variable the pod does not get',
      (t) => t,
      (e) => ({ ...e, NATS_SYS_PASSWORD: undefined as unknown as string }),
      /NATS_SYS_PASSWORD/,
    ],
  ])('nats-server rejects the configuration with %s', (_what, breakText, breakEnv, message) => {
    const env = Object.fromEntries(Object.entries(breakEnv(podEnv(statefulSet, 'bus-nats-0'))).filter(([, v]) => v !== undefined));
    const r = checkConfig(dir, `${siteName}-broken.conf`, breakText(config), env);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(message);
  });

  it('references every password through a Secret filled from Vault, never a value', () => {
    expect(config).not.toMatch(/password: "/);
    const env = (statefulSet.spec as { template: { spec: { containers: { name: string; env: { name: string; value?: string }[] }[] } } })
      .template.spec.containers[0]!.env;
    for (const v of env.filter((e) => /PASSWORD/.test(e.name))) expect(v.value).toBeUndefined();
    const secrets = objects.filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata.name);
    for (const ref of [...config.matchAll(/password: \$(\w+)/g)].map((m) => m[1]!)) {
      expect(env.map((e) => e.name)).toContain(ref);
    }
    expect(secrets).toContain('bus-nats-system');
  });

  it('keeps a JetStream majority through a voluntary disruption and spreads the servers over nodes', () => {
    const pdb = find(objects, 'PodDisruptionBudget', 'bus-nats');
    expect((pdb.spec as { minAvailable: number }).minAvailable).toBe(2);
    const spec = statefulSet.spec as { replicas: number; template: { spec: { topologySpreadConstraints: { topologyKey: string }[] } } };
    expect(spec.replicas).toBe(3);
    expect(spec.template.spec.topologySpreadConstraints[0]!.topologyKey).toBe('kubernetes.io/hostname');
  });
});

describe('cross-site link', () => {
  const [hub, leaf] = ['cluster2', 'cluster1'];
  const hubObjects = busObjects(hub);
  const leafObjects = busObjects(leaf);
  const hubSite = SITES.find((s) => s.name === hub)!;

  it('the leaf dials the hub on the address the hub pins its leafnode Service to', () => {
    const service = find(hubObjects, 'Service', 'bus-nats-leafnodes');
    const annotations = service.metadata.annotations as Record<string, string>;
    expect(annotations['metallb.io/loadBalancerIPs']).toBe(hubSite.loadBalancer.fixed.bus);
    const spec = service.spec as { type: string; externalTrafficPolicy: string; ports: { port: number }[] };
    expect(spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    const env = podEnv(find(leafObjects, 'StatefulSet', 'bus-nats'), 'bus-nats-0');
    expect(env.NATS_LEAF_URL).toBe(
      `nats-leaf://leaf-${leaf}:${env.NATS_LEAF_PASSWORD}@${hubSite.loadBalancer.fixed.bus}:${spec.ports[0]!.port}`,
    );
    expect(leafObjects.some((o) => o.kind === 'Service' && o.metadata.name === 'bus-nats-leafnodes')).toBe(false);
  });

  it('both ends read the leaf password from the same Vault key and bind the same account', () => {
    const remoteRef = (objects: readonly KubeObject[]) =>
      (find(objects, 'ExternalSecret', `bus-leaf-${leaf}`).spec as { data: { remoteRef: unknown }[] }).data[0]!.remoteRef;
    expect(remoteRef(hubObjects)).toEqual(remoteRef(leafObjects));
    // The hub binds the leaf's user to APP by listing it among APP's users, usable only as a leafnode.
    const app = configOf(hubObjects).split(/\n\s*APP: \{/)[1]!;
    expect(app).toMatch(
      new RegExp(
        `user: "leaf-${leaf}"\\s+password: \\$NATS_LEAF_${leaf.toUpperCase()}_PASSWORD\\s+allowed_connection_types: \\[\\s+"LEAFNODE"\\s+\\]`,
      ),
    );
    expect(configOf(hubObjects)).not.toMatch(/authorization/);
    expect(configOf(leafObjects)).toMatch(/remotes: \[\s+\{\s+urls: \[\s+\$NATS_LEAF_URL\s+\]\s+account: "APP"/);
  });

  it('gives each site its own JetStream domain', () => {
    for (const [site, objects] of [
      [hub, hubObjects],
      [leaf, leafObjects],
    ] as const) {
      expect(configOf(objects)).toMatch(new RegExp(`domain: "${site}"`));
    }
  });
});

it('links a third site added as data only, on both ends', () => {
  const staging: Site = withChange(cluster1, (s) => {
    s.name = 'staging';
    s.nodes = (s.nodes as Record<string, unknown>[]).map((n, i) => ({ ...n, name: `staging-${i}`, address: `203.0.113.${11 + i}` }));
    s.loadBalancer = {
      ipv4: ['203.0.113.100-203.0.113.107'],
      fixed: { ingress: '203.0.113.100', database: '203.0.113.101', bus: '203.0.113.102' },
    };
  });
  const all = [...SITES, staging];
  const render = (site: Site) =>
    renderSite(site, { ...PLATFORM, sites: all }).components.find((c) => c.name === 'bus')!.objects as KubeObject[];
  const hub = render(all.find((s) => s.bus.role === 'hub')!);
  const hubConfig = configOf(hub);
  expect(hubConfig).toContain('user: "leaf-staging"');
  expect(hubConfig).toContain('user: "leaf-cluster1"');
  const r = checkConfig(dir, 'hub-3-sites.conf', hubConfig, podEnv(find(hub, 'StatefulSet', 'bus-nats'), 'bus-nats-0'));
  expect(r.status).toBe(0);
  const stagingEnv = podEnv(find(render(staging), 'StatefulSet', 'bus-nats'), 'bus-nats-0');
  const hubAddress = all.find((s) => s.bus.role === 'hub')!.loadBalancer.fixed.bus;
  expect(stagingEnv.NATS_LEAF_URL).toBe(`nats-leaf://leaf-staging:${stagingEnv.NATS_LEAF_PASSWORD}@${hubAddress}:7422`);
});
