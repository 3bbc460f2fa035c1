/**
 * Both sites' bus, for real: six nats-server 2.9 processes on 127.0.0.1 (three per site) started
 * with the configuration the chart renders (ports and paths remapped), the env the pods get, the
 * leafnode link between the sites, and the stream/consumer JSON the streams job applies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';
import type { Construct } from 'constructs';
import type { BusComponent } from '../charts/bus/bus';
import { renderServerConfig } from '../charts/bus/config';
import { streamFiles } from '../charts/bus/streams-job';
import { PlatformComponent, type SiteContext } from '../charts/component';
import { buildPlatform } from '../charts/platform';
import type { KubeObject } from '../pipeline/render';
import { SITES, type Site, EDGE } from '../sites';
import { tempDir } from './helpers';
import { dummyPassword, eventually, freePorts, monitor, NATS_SERVER, NatsConnection, podEnv } from './nats-helpers';

class ProbeClient extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext) {
    super(scope, { name: 'probe', context, namespace: 'probe' });
  }
}

const STREAM = { name: 'JOBS', subjects: ['jobs.>'], retention: 'workqueue', replicas: 3, maxAge: '72h', maxBytesMiB: 64 } as const;
const CONSUMER = { stream: 'JOBS', durable: 'workers', ackWait: '30s', maxDeliver: 5 } as const;

interface Server {
  readonly client: number;
  readonly cluster: number;
  readonly monitor: number;
  readonly leafnodes: number;
}

interface LiveSite {
  readonly site: Site;
  readonly bus: BusComponent;
  readonly servers: Server[];
}

const { dir, cleanup } = tempDir('bus-live-');
const children: ChildProcess[] = [];
let sites: LiveSite[] = [];

function model(site: Site): BusComponent {
  const app = new App({ outdir: path.join(dir, 'cdk8s') });
  const bus = buildPlatform(app, { site, sites: SITES, edge: EDGE }).bus!;
  bus.declareStream(STREAM, [CONSUMER]);
  const probe = new ProbeClient(app, { site, sites: SITES, edge: EDGE });
  bus.grant(probe, probe.endpoint({ podLabels: { app: 'probe' }, ports: [] }), 'probe', {
    publish: ['probe.>', 'jobs.>'],
    subscribe: ['probe.>'],
  });
  return bus;
}

beforeAll(async () => {
  const ports = await freePorts(SITES.length * 3 * 4);
  sites = SITES.map((site, s) => ({
    site,
    bus: model(site),
    servers: [0, 1, 2].map((i) => {
      const [client, cluster, mon, leafnodes] = ports.slice((s * 3 + i) * 4, (s * 3 + i) * 4 + 4);
      return { client: client!, cluster: cluster!, monitor: mon!, leafnodes: leafnodes! };
    }),
  }));
  const hub = sites.find((s) => s.site.bus.role === 'hub')!;
  for (const { site, bus, servers } of sites) {
    const statefulSet = (bus.toJson() as KubeObject[]).find((o) => o.kind === 'StatefulSet')!;
    const rendered = bus.serverConfig();
    servers.forEach((server, i) => {
      const home = path.join(dir, site.name, String(i));
      fs.mkdirSync(home, { recursive: true });
      const text = renderServerConfig({
        ...rendered,
        ports: { host: '127.0.0.1', ...server },
        routes: servers.map((s) => `nats://127.0.0.1:${s.cluster}`),
        storeDir: path.join(home, 'jetstream'),
        pidFile: path.join(home, 'nats.pid'),
      });
      fs.writeFileSync(path.join(home, 'nats.conf'), text);
      const env = podEnv(statefulSet, `bus-nats-${i}`);
      if (env.NATS_LEAF_URL) {
        // The hub's load-balancer address, as the leaf dials it, becomes the hub's first server here.
        env.NATS_LEAF_URL = env.NATS_LEAF_URL.replace(`${hub.site.loadBalancer.fixed.bus}:7422`, `127.0.0.1:${hub.servers[0]!.leafnodes}`);
      }
      const child = spawn(NATS_SERVER, ['-c', path.join(home, 'nats.conf')], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: 'ignore',
      });
      children.push(child);
    });
  }
  for (const { servers } of sites) {
    for (const server of servers)
      await eventually('a healthy JetStream server', () => monitor(server.monitor, '/healthz?js-enabled-only=true'));
  }
});

afterAll(async () => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  cleanup();
});

const live = (role: 'hub' | 'leaf'): LiveSite => sites.find((s) => s.site.bus.role === role)!;

async function jsRequest(server: Server, subject: string, payload: unknown): Promise<Record<string, unknown>> {
  const conn = await NatsConnection.connect(server.client, 'streams-admin', dummyPassword('bus-user-streams-admin'));
  try {
    return JSON.parse(await conn.request(subject, JSON.stringify(payload))) as Record<string, unknown>;
  } finally {
    conn.close();
  }
}

it('runs each site as its own JetStream domain with a 3-server meta group', async () => {
  for (const { site, servers } of sites) {
    // A leader is elected by 2 of 3; on a loaded machine the third may join a moment later.
    const jsz = await eventually(`a meta leader with 3 servers at ${site.name}`, async () => {
      const body = await monitor(servers[0]!.monitor, '/jsz');
      const meta = body?.meta_cluster as { leader?: string; cluster_size?: number } | undefined;
      return meta?.leader && meta.cluster_size === 3 ? meta : undefined;
    });
    expect(jsz.cluster_size).toBe(3);
    const varz = await monitor(servers[1]!.monitor, '/varz');
    expect((varz?.jetstream as { config: { domain: string } }).config.domain).toBe(site.name);
    expect(varz?.server_name).toBe('bus-nats-1');
  }
});

it('answers the probes the pods are given', async () => {
  const statefulSet = (live('hub').bus.toJson() as KubeObject[]).find((o) => o.kind === 'StatefulSet')!;
  const nats = (statefulSet.spec as { template: { spec: { containers: Record<string, { httpGet?: { path: string } }>[] } } }).template.spec
    .containers[0]!;
  const paths = ['startupProbe', 'livenessProbe', 'readinessProbe'].map((p) => nats[p]!.httpGet!.path);
  expect(paths).toHaveLength(3);
  for (const probe of paths) {
    for (const { servers } of sites) expect(await monitor(servers[0]!.monitor, probe)).toMatchObject({ status: 'ok' });
  }
});

it('links every leaf server to the hub in the application account', async () => {
  for (const server of live('leaf').servers) {
    const leafz = await eventually('a leafnode connection', async () => {
      const body = await monitor(server.monitor, '/leafz');
      return (body?.leafnodes as number) > 0 ? body : undefined;
    });
    expect((leafz.leafs as { account: string }[])[0]!.account).toBe('APP');
  }
});

it('creates the declared stream and consumer from the rendered JSON, idempotently', async () => {
  const files = streamFiles(live('leaf').bus.declaredStreams());
  const streamJson = JSON.parse(files['stream-JOBS.json']!) as Record<string, unknown>;
  const consumerJson = JSON.parse(files['consumer-JOBS-workers.json']!) as Record<string, unknown>;
  for (const { site, servers } of sites) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const stream = await eventually(`stream JOBS at ${site.name}`, async () => {
        const answer = await jsRequest(servers[0]!, '$JS.API.STREAM.CREATE.JOBS', streamJson);
        return answer.error ? undefined : answer;
      });
      expect(stream.config).toMatchObject({ name: 'JOBS', retention: 'workqueue', num_replicas: 3, discard: 'new' });
      const consumer = await jsRequest(servers[1]!, '$JS.API.CONSUMER.DURABLE.CREATE.JOBS.workers', {
        stream_name: 'JOBS',
        config: consumerJson,
      });
      expect(consumer.error).toBeUndefined();
      expect(consumer.config).toMatchObject({ durable_name: 'workers', ack_policy: 'explicit', max_deliver: 5 });
    }
  }
});

it('refuses a client subject outside its grant', async () => {
  const conn = await NatsConnection.connect(live('leaf').servers[0]!.client, 'probe', dummyPassword('bus-user-probe'));
  try {
    await expect(conn.publish('secrets.everything', 'x')).rejects.toThrow(/Permissions Violation/);
  } finally {
    conn.close();
  }
});

it('carries messages from one site to the other over the link', async () => {
  const receiver = await NatsConnection.connect(live('hub').servers[2]!.client, 'probe', dummyPassword('bus-user-probe'));
  const sender = await NatsConnection.connect(live('leaf').servers[1]!.client, 'probe', dummyPassword('bus-user-probe'));
  try {
    const inbox = await receiver.subscribe('probe.hello');
    const got = await eventually('the message at the other site', async () => {
      await sender.publish('probe.hello', 'from the leaf site');
      return inbox[0];
    });
    expect(got).toBe('from the leaf site');
  } finally {
    receiver.close();
    sender.close();
  }
});

it('keeps a site storing its own work while the other site is down', async () => {
  const hubChildren = children.slice(sites.indexOf(live('hub')) * 3, sites.indexOf(live('hub')) * 3 + 3);
  await Promise.all(hubChildren.map((c) => new Promise<void>((resolve) => (c.once('exit', () => resolve()), c.kill('SIGTERM')))));
  const conn = await NatsConnection.connect(live('leaf').servers[0]!.client, 'probe', dummyPassword('bus-user-probe'));
  try {
    const ack = JSON.parse(await conn.request('jobs.resize', '{"image":"a.png"}')) as { stream?: string; domain?: string; seq?: number };
    expect(ack).toMatchObject({ stream: 'JOBS', domain: live('leaf').site.name });
    expect(ack.seq).toBeGreaterThan(0);
  } finally {
    conn.close();
  }
});
