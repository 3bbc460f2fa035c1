/**
 * Every site's bus, for real, on 127.0.0.1: three nats-server processes per site started the way
 * the pods start them (the rendered container script, which runs the certificate reload loop and
 * execs the server), with the rendered configuration (ports and paths remapped), the env the pods
 * get, certificates from a test CA in place of cert-manager's, and the leafnode link between the
 * sites. Every process runs in its own process group, so stopping it stops the reload loop too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { App } from 'cdk8s';
import type { Construct } from 'constructs';
import type { BusComponent } from '../charts/bus/bus';
import { renderServerConfig, type ConfTls, type ServerConfigInput } from '../charts/bus/config';
import { consumerConfigJson, streamConfigJson } from '../charts/bus/streams';
import { CONFIG_DIR, RUN_DIR } from '../charts/bus/constants';
import { TLS_DIR } from '../charts/bus/link-end';
import { PlatformComponent } from '../charts/component';
import { siteContext, type SiteContext } from '../charts/context';
import { pullConsumerPublishSubjects } from '../charts/lib/bus';
import { TLS_RELOAD_INTERVAL_ENV } from '../charts/lib/tls-reload';
import { buildPieces } from '../charts/platform';
import type { KubeObject } from '../pipeline/render';
import { PLATFORM, type Site } from '../sites';
import { freePorts } from './free-port';
import { dummyPassword, eventually, monitor, NatsConnection, podEnv } from './nats-helpers';
import { issue, makeCa, type TestCa } from './tls-helpers';
import { unaffected } from '../charts/lib/resilience';

/** The stream and consumer the tests' probe client works with. */
export const STREAM = { name: 'JOBS', subjects: ['jobs.>'], retention: 'workqueue', replicas: 3, maxAge: '72h', maxBytesMiB: 64 } as const;
export const CONSUMER = { stream: 'JOBS', durable: 'workers', ackWait: '30s', maxDeliver: 5 } as const;

class ProbeClient extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext) {
    super(scope, { name: 'probe', context, namespace: 'probe' });
    this.declareFailureBehaviour({ serves: 'a test component', nodeLoss: unaffected('a test component') });
  }
}

/**
 * A site's committed platform plus a client `probe` (user `probe`) with the stream JOBS, its
 * consumer `workers`, and `crossSite` subjects declared cross-site.
 */
export function probeModel(site: Site, dir: string, crossSite: readonly string[]): BusComponent {
  const app = new App({ outdir: path.join(dir, 'cdk8s') });
  const context = siteContext(site, PLATFORM);
  const bus = buildPieces(app, context).bus!;
  bus.declareStream(STREAM, [CONSUMER]);
  const probe = new ProbeClient(app, context);
  bus.grant(probe, probe.endpoint({ podLabels: { app: 'probe' }, ports: [] }), 'probe', {
    publish: ['probe.>', 'jobs.>', ...pullConsumerPublishSubjects(CONSUMER, bus.domain)],
    subscribe: ['probe.>'],
  });
  if (crossSite.length > 0) bus.declareCrossSite(probe, { subjects: crossSite, reason: 'the test probe talks to the other site' });
  return bus;
}

export interface Server {
  readonly client: number;
  readonly cluster: number;
  readonly monitor: number;
  readonly leafnodes: number;
}

export interface LiveSite {
  readonly site: Site;
  readonly bus: BusComponent;
  readonly servers: Server[];
  /** Where this site's link certificate is (what cert-manager's Secret would hold). */
  readonly tlsDir: string;
  /** The site's processes, one per server. */
  readonly processes: ChildProcess[];
  /** How each server was started (script and environment), to start it again. */
  readonly scripts: { home: string; script: string; env: Record<string, string> }[];
}

/** Starts server `i` of a site again, as it was started. */
export function restart(live: LiveSite, i: number): ChildProcess {
  const { home, script, env } = live.scripts[i]!;
  return startServer(home, script, env);
}

/** The certificate files of a TLS end, moved from the pod's mount to `dir`. */
export function tlsIn(tls: ConfTls, dir: string): ConfTls {
  const move = (file: string) => file.replace(TLS_DIR, dir);
  return { certFile: move(tls.certFile), keyFile: move(tls.keyFile), caFile: move(tls.caFile) };
}

/** Issues a site's link certificate as cert-manager would (hub: the address leaves dial; leaf: a client). */
export function issueLinkCertificate(ca: TestCa, live: Pick<LiveSite, 'bus' | 'tlsDir' | 'site'>): string {
  return live.bus.isHub
    ? issue(ca, live.tlsDir, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], usage: 'server' })
    : issue(ca, live.tlsDir, { commonName: `leaf-${live.site.name}`, usage: 'client' });
}

/** Starts the rendered container script of one server; resolves when it is up. */
export function startServer(home: string, script: string, env: Record<string, string>): ChildProcess {
  const log = fs.openSync(path.join(home, 'stderr.log'), 'a');
  try {
    return spawn('sh', ['-c', script], {
      // In its own home: a server writes stray state files (a consumer's meta.inf) to its working directory.
      cwd: home,
      env: { PATH: process.env.PATH ?? '', [TLS_RELOAD_INTERVAL_ENV]: '1', ...env },
      stdio: ['ignore', 'ignore', log],
      detached: true,
    });
  } finally {
    // The server has its own copy of the descriptor.
    fs.closeSync(log);
  }
}

/**
 * Stops a server and its reload loop (its whole process group). SIGTERM is an orderly stop:
 * nats-server's Shutdown first hands over every raft group it leads (stepdownRaftNodes, server.go
 * in 2.9.10 and 2.14.5), so no election waits on it. `killServer` is the crash a node loss is.
 */
export const stopServer = (child: ChildProcess): Promise<void> => endServer(child, 'SIGTERM');

/**
 * A server crashing as with its node: SIGKILL to its process group, so it steps down from
 * nothing it leads and the other servers elect new leaders only once their raft election timeout
 * (4 to 9 s, server/raft.go) runs out without its heartbeats.
 */
export const killServer = (child: ChildProcess): Promise<void> => endServer(child, 'SIGKILL');

async function endServer(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-pid, signal);
  } catch {
    return;
  }
  // Seen here after a peer was killed: a server that got its reload loop's SIGHUP with the SIGTERM
  // reloaded and ran on (nats-server takes signals through a channel of one, signal.go, and drops
  // one that finds it full). A stop always ends.
  const timer = setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }, STOP_WITHIN_MS);
  await exited;
  clearTimeout(timer);
}

/** How long an orderly stop may take before the server's process group is killed. */
const STOP_WITHIN_MS = 10_000;

/** What stands in for the hub's floating address: a relay (test/link-relay.ts). */
export interface HubAddress {
  readonly port: number;
  /** Given the hub servers' leafnode ports, once they are known. */
  reach(ports: readonly number[]): void;
}

/** How the sites are started beyond their rendered configuration. */
export interface StartOptions {
  /** The hub's floating address; without it, the hub's first server's own leafnode port is. */
  readonly hubAddress?: HubAddress;
  /** Debug logging (`debug: true`) in each server's stderr.log: its ping timers, its closes. */
  readonly debug?: boolean;
}

/**
 * Starts every site of `models` with a test CA. The hub's fixed address, as the leaf dials it and
 * the hub advertises it, becomes `options.hubAddress`, or else the hub's first server. `change`
 * may alter a site's configuration (e.g. to run an older one on one end).
 */
export async function startSites(
  dir: string,
  models: readonly { site: Site; bus: BusComponent }[],
  ca: TestCa,
  change: (site: Site, config: ServerConfigInput) => ServerConfigInput = (_site, config) => config,
  options: StartOptions = {},
): Promise<LiveSite[]> {
  const ports = await freePorts(models.length * 3 * 4);
  const sites: LiveSite[] = models.map(({ site, bus }, s) => ({
    site,
    bus,
    tlsDir: path.join(dir, site.name, 'tls'),
    processes: [],
    scripts: [],
    servers: [0, 1, 2].map((i) => {
      const [client, cluster, mon, leafnodes] = ports.slice((s * 3 + i) * 4, (s * 3 + i) * 4 + 4);
      return { client: client!, cluster: cluster!, monitor: mon!, leafnodes: leafnodes! };
    }),
  }));
  const hub = sites.find((s) => s.bus.isHub)!;
  // Everywhere the rendered configuration names the hub's fixed address, the test's stands in.
  const fixed = `${hub.site.loadBalancer.fixed.bus}:7422`;
  const standIn = `127.0.0.1:${options.hubAddress?.port ?? hub.servers[0]!.leafnodes}`;
  options.hubAddress?.reach(hub.servers.map((s) => s.leafnodes));
  try {
    for (const live of sites) {
      issueLinkCertificate(ca, live);
      const statefulSet = (live.bus.toJson() as KubeObject[]).find((o) => o.kind === 'StatefulSet')!;
      const rendered = change(live.site, live.bus.serverConfig());
      live.servers.forEach((server, i) => {
        const home = path.join(dir, live.site.name, String(i));
        fs.mkdirSync(home, { recursive: true });
        const text = renderServerConfig({
          ...rendered,
          ports: { host: '127.0.0.1', ...server },
          routes: live.servers.map((s) => `nats://127.0.0.1:${s.cluster}`),
          storeDir: path.join(home, 'jetstream'),
          pidFile: path.join(home, 'nats.pid'),
          leafListen: rendered.leafListen && {
            tls: tlsIn(rendered.leafListen.tls, live.tlsDir),
            advertise: rendered.leafListen.advertise.replace(fixed, standIn),
          },
          leafRemote: rendered.leafRemote && { ...rendered.leafRemote, tls: tlsIn(rendered.leafRemote.tls, live.tlsDir) },
        });
        fs.writeFileSync(path.join(home, 'nats.conf'), options.debug ? `${text}debug: true\n` : text);
        const env = podEnv(statefulSet, `bus-nats-${i}`);
        if (env.NATS_LEAF_URL) env.NATS_LEAF_URL = env.NATS_LEAF_URL.replace(fixed, standIn);
        const script = live.bus
          .serverScript()
          .replaceAll(TLS_DIR, live.tlsDir)
          .replaceAll(`${CONFIG_DIR}/nats.conf`, path.join(home, 'nats.conf'))
          .replaceAll(RUN_DIR, home);
        live.scripts[i] = { home, script, env };
        live.processes.push(startServer(home, script, env));
      });
    }
    for (const live of sites) {
      for (const [i, server] of live.servers.entries()) {
        await eventually('a healthy JetStream server', () => monitor(server.monitor, '/healthz?js-enabled-only=true')).catch(
          (err: Error) => {
            const log = path.join(live.scripts[i]!.home, 'stderr.log');
            throw new Error(`${live.site.name} server ${i}: ${err.message}\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''}`);
          },
        );
      }
    }
  } catch (err) {
    // The caller never gets the sites to stop: stop them here, or they outlive the test run.
    await Promise.all(sites.flatMap((s) => s.processes).map(killServer));
    throw err;
  }
  return sites;
}

/** Generates a fresh CA in `dir`. */
export function testCa(dir: string, name = 'platform-internal-test-ca'): TestCa {
  return makeCa(path.join(dir, 'ca', name), name);
}

/** Creates the stream JOBS and its consumer on the site from their rendered JSON, once the site can. */
export async function createJobsStream({ site, servers }: LiveSite): Promise<void> {
  await eventually(`stream JOBS at ${site.name}`, async () => {
    const answer = await jsRequest(servers[0]!, '$JS.API.STREAM.CREATE.JOBS', streamConfigJson(STREAM));
    return answer.error ? undefined : answer;
  });
  await eventually(`consumer workers at ${site.name}`, async () => {
    const answer = await jsRequest(servers[0]!, '$JS.API.CONSUMER.DURABLE.CREATE.JOBS.workers', {
      stream_name: 'JOBS',
      config: consumerConfigJson(CONSUMER),
    });
    return answer.error ? undefined : answer;
  });
}

/** A JetStream API request as the streams job's user. */
export async function jsRequest(server: Server, subject: string, payload: unknown): Promise<Record<string, unknown>> {
  const conn = await NatsConnection.connect(server.client, 'streams-admin', dummyPassword('bus-user-streams-admin'));
  try {
    return JSON.parse(await conn.request(subject, JSON.stringify(payload))) as Record<string, unknown>;
  } finally {
    conn.close();
  }
}

/**
 * Messages stored in the stream JOBS of the server's site. Asked again, within a bound, while the
 * stream cannot answer: after a server is lost, the stream has no leader until the others elect one.
 */
export async function storedJobs(server: Server): Promise<number> {
  return eventually('the state of stream JOBS', async () => {
    const info = await jsRequest(server, '$JS.API.STREAM.INFO.JOBS', {});
    return info.error ? undefined : (info.state as { messages: number }).messages;
  });
}

/** The server leading a stream (its name is bus-nats-<i>), asked of `server`, once there is one. */
export async function streamLeader(server: Server, stream: string): Promise<number> {
  const info = await eventually(`a leader of ${stream}`, async () => {
    const answer = await jsRequest(server, `$JS.API.STREAM.INFO.${stream}`, {});
    return (answer.cluster as { leader?: string } | undefined)?.leader ? answer : undefined;
  });
  return Number((info.cluster as { leader: string }).leader.replace('bus-nats-', ''));
}

/**
 * Attempts of a wait whose every attempt is a request answered within 2 s, or not at all while
 * there is no leader: about 70 s in all (30 requests, 7.5 s of pauses), enough for several raft
 * elections on a loaded machine, and a wait that runs out says what it waited for before a
 * test's timeout does.
 */
export const ELECTION_ATTEMPTS = 30;

/**
 * Waits until a consumer has a leader, asked of `server`: a pull sent while it has none is never
 * answered (after its leader's server is killed, until the others elect one).
 */
export async function consumerLeader(server: Server, stream: string, consumer: string): Promise<string> {
  return eventually(
    `a leader of ${stream}/${consumer}`,
    async () => {
      const conn = await NatsConnection.connect(server.client, 'streams-admin', dummyPassword('bus-user-streams-admin'));
      try {
        // Asked again rather than waited on: a request made while there is no leader gets no answer.
        const info = JSON.parse(await conn.request(`$JS.API.CONSUMER.INFO.${stream}.${consumer}`, '', 2000)) as {
          cluster?: { leader?: string };
        };
        return info.cluster?.leader;
      } finally {
        conn.close();
      }
    },
    ELECTION_ATTEMPTS,
  );
}

/** Runs `use` connected as the test's `probe` client user (speaking headers if `headers`). */
export async function asProbe<T>(server: Server, use: (conn: NatsConnection) => Promise<T>, headers = false): Promise<T> {
  const conn = await NatsConnection.connect(server.client, 'probe', dummyPassword('bus-user-probe'), undefined, headers);
  try {
    return await use(conn);
  } finally {
    conn.close();
  }
}

/** A JetStream publish's answer. */
export interface PubAck {
  readonly stream: string;
  readonly seq: number;
  readonly domain?: string;
  readonly duplicate?: boolean;
  readonly error?: unknown;
}

/** A stream's state, as STREAM.INFO and jsz give it. */
export interface StreamState {
  readonly messages: number;
  readonly last_seq: number;
}

/**
 * Publishes a resize job identified by `id` (its `Nats-Msg-Id`) as the probe on `server`, retried
 * with the same id until a PubAck without error (a late answer's retry is a duplicate, not a copy).
 */
export async function publishJob(server: Server, id: string, attempts?: number): Promise<PubAck> {
  return eventually(
    `a PubAck for ${id}`,
    async () => {
      const answer = JSON.parse(
        await asProbe(server, (c) => c.request('jobs.resize', `{"id":"${id}"}`, 2000, { 'Nats-Msg-Id': id }), true),
      ) as PubAck;
      return answer.error ? undefined : answer;
    },
    attempts,
  );
}

/** Pulls one job from the consumer JOBS/workers on `server` and acknowledges it; returns the ack subject used. */
export async function pullAndAck(server: Server): Promise<string> {
  return asProbe(server, async (conn) => {
    const inbox = `_INBOX.pull${Date.now()}`;
    const jobs = await conn.subscribe(inbox);
    await conn.publish('$JS.API.CONSUMER.MSG.NEXT.JOBS.workers', JSON.stringify({ batch: 1, expires: 2_000_000_000 }), inbox);
    await eventually('a job from the consumer', async () => jobs[0]);
    const ack = conn.repliesOf(inbox)[0]!;
    await conn.publish(ack, '+ACK');
    return ack;
  });
}
