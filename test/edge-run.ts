/**
 * The edge's HAProxy, for real, on loopback: the rendered haproxy.cfg with its addresses remapped
 * (binds, the sites' floating addresses to fake sites that parse PROXY v2, the admin socket) and
 * nothing else changed but what an unprivileged run needs. Used by the edge tests and the rehearsal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  EDGE_ADMIN_SOCKET,
  EDGE_STATS,
  LAST_RESORT,
  edgeSourceAddress,
  renderHaproxyConfig,
  servesPublicDomain,
} from '../charts/edge/haproxy';
import { CHECK_TIMING, haproxyTime, timingKeywords, trustedCaFile, type CheckTiming } from '../charts/edge/health';
import { SITES, type EdgeProxy, type Site } from '../sites';
import { tempDir, withChange } from './helpers';
import { freePort } from './free-port';
import type { FakeSite } from './proxy-v2';

/** HAProxy's operational state of a server: up. */
export const UP = 2;
/** ... and down. */
export const DOWN = 0;
/** Where the rendered `source` (the edge's first source address) is remapped to on loopback. */
export const EDGE_SOURCE_ON_LOOPBACK = '127.0.0.5';

/** Check timing of most edge tests: a down site is noticed quickly; the tests wait for the state. */
// HAProxy gives a check min(`timeout connect`, inter) to connect and finish its TLS handshake:
// `inter` stays long enough for a loaded machine; fastinter makes the transitions quick.
export const FAST_CHECKS: CheckTiming = { ...CHECK_TIMING, interMs: 500, fastinterMs: 100, fall: 2, rise: 1, answerTimeoutMs: 1000 };

/** The rendered timing, four times faster; fall and rise as rendered. */
export const SCALED: CheckTiming = {
  ...CHECK_TIMING,
  interMs: CHECK_TIMING.interMs / 4,
  fastinterMs: CHECK_TIMING.fastinterMs / 4,
  answerTimeoutMs: CHECK_TIMING.answerTimeoutMs / 4,
};
/** Timer resolution allowed below a lower bound (load only delays, so lower bounds are load-safe). */
export const EARLY_MS = 50;

/** A server state change HAProxy reports on its output. */
export interface Transition {
  readonly backend: string;
  readonly server: string;
  readonly state: 'UP' | 'DOWN';
}

/** How the edge runs. */
export interface EdgeRunOptions {
  /** The CA file the edge verifies the sites' certificates against, in place of the rendered one. */
  readonly trustedCa: string;
  /** The sites rendered into the file. @default SITES */
  readonly model?: readonly Site[];
  /** A change to the rendered file after the remapping (a rehearsal breaking a setting on purpose). @default none */
  readonly change?: (text: string) => string;
  /** Health check timing in place of the rendered one (CHECK_TIMING). @default FAST_CHECKS */
  readonly timing?: CheckTiming;
}

/** Replaces every `from` in `text`, and fails if there is none (the rendered file changed shape). */
function remap(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the rendered haproxy.cfg has no ${JSON.stringify(from)} to remap`);
  return text.split(from).join(to);
}

/** A third site that must never take public traffic, reached only by its own name. */
export const STAGING: Site = withChange(SITES[1]!, (d) => {
  d.name = 'staging';
  d.location = 'test bench';
  d.loadBalancer = { ipv4: ['192.0.2.200/30'], fixed: { ingress: '192.0.2.200', database: '192.0.2.201', bus: '192.0.2.202' } };
  d.dns = { publicDomain: 'chataik.fr', siteHostname: 'staging.chataik.fr', servesPublicDomain: false };
});

/** HAProxy running the rendered file with its addresses remapped to loopback. */
export class RunningEdge {
  private process?: ChildProcess;
  readonly ports = { http: 0, https: 0, http6: 0, https6: 0 };
  private socketPath = '';
  private cleanup = (): void => undefined;
  output = '';
  /** Called on each server state change HAProxy reports, as it reads HAProxy's output. */
  private readonly transitionListeners = new Set<(t: Transition) => void>();
  private pending = '';

  private readonly model: readonly Site[];

  constructor(
    private readonly edge: EdgeProxy,
    private readonly sites: Map<string, FakeSite>,
    private readonly options: EdgeRunOptions,
  ) {
    this.model = options.model ?? SITES;
  }

  async start(): Promise<void> {
    const backendPorts = new Map<string, number>();
    for (const [name, fake] of this.sites) backendPorts.set(name, await fake.listen());
    for (const key of Object.keys(this.ports) as (keyof RunningEdge['ports'])[]) {
      this.ports[key] = await freePort(key.endsWith('6') ? '::1' : '127.0.0.1');
    }
    const statsPort = await freePort();
    const tmp = tempDir('edge-run-');
    this.cleanup = tmp.cleanup;
    this.socketPath = path.join(tmp.dir, 'admin.sock');
    let text = renderHaproxyConfig(this.edge, this.model);
    // Remapping for an unprivileged run on loopback; everything else is the rendered file.
    text = text
      .split('\n')
      .filter((l) => !/^\s+(chroot|user|group|daemon|log \/dev\/log)/.test(l))
      .join('\n')
      .replace(EDGE_ADMIN_SOCKET, this.socketPath)
      .replace(`bind ${EDGE_STATS}`, `bind 127.0.0.1:${statsPort}`)
      .replace(`source ${edgeSourceAddress(this.edge)}\n`, `source ${EDGE_SOURCE_ON_LOOPBACK}\n`)
      .replace(`bind ${this.edge.ipv4}:80\n`, `bind 127.0.0.1:${this.ports.http}\n`)
      .replace(`bind ${this.edge.ipv4}:443\n`, `bind 127.0.0.1:${this.ports.https}\n`)
      .replace(`bind [${this.edge.ipv6}]:80 `, `bind [::1]:${this.ports.http6} `)
      .replace(`bind [${this.edge.ipv6}]:443 `, `bind [::1]:${this.ports.https6} `)
      // An unprivileged test process cannot raise its file limit to what maxconn needs.
      .replace(/maxconn \d+/, 'maxconn 256');
    const timing = this.options.timing ?? FAST_CHECKS;
    text = remap(text, timingKeywords(CHECK_TIMING), timingKeywords(timing));
    text = remap(
      text,
      `timeout check ${haproxyTime(CHECK_TIMING.answerTimeoutMs)}\n`,
      `timeout check ${haproxyTime(timing.answerTimeoutMs)}\n`,
    );
    for (const ca of new Set(this.model.map(trustedCaFile))) text = remap(text, `ca-file ${ca} `, `ca-file ${this.options.trustedCa} `);
    // Every check runs at the timing under test: a server line with a timing of its own would escape it.
    const astray = text.split('\n').filter((l) => /^ +server .* check /.test(l) && !l.includes(` ${timingKeywords(timing)} `));
    if (astray.length > 0) throw new Error(`checks not at the rendered timing:\n${astray.join('\n')}`);
    for (const site of this.model) {
      const port = backendPorts.get(site.name)!;
      text = text.replace(new RegExp(`${site.loadBalancer.fixed.ingress.replace(/\./g, '\\.')}:(80|443) `, 'g'), `127.0.0.1:${port} `);
    }
    if (/192\.0\.2\.|198\.51\.100\.|203\.0\.113\.|2001:db8/.test(text)) throw new Error(`an address was not remapped:\n${text}`);
    if (this.options.change) text = this.options.change(text);
    const file = path.join(tmp.dir, 'haproxy.cfg');
    fs.writeFileSync(file, text);
    this.process = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout!.on('data', (d) => (this.output += d));
    this.process.stderr!.on('data', (d: Buffer) => {
      this.output += d;
      this.readTransitions(d.toString());
    });
    const splitSites = this.model.filter(servesPublicDomain).length;
    await this.until(async () => (await this.serverStates('sites-https')).size === splitSites, 'HAProxy to start');
    // Servers start up before their first check: wait until every site has passed its health question once.
    const split = this.model.filter(servesPublicDomain).map((s) => s.name);
    await this.until(
      async () => (await Promise.all(split.map((name) => this.checkStatus('sites-https', name)))).every((c) => c.status === 'L7OK'),
      'the first health checks to pass',
    );
  }

  /** HAProxy's own word for a state change ("Server sites-https/cluster1 is DOWN, reason: ..."). */
  private readTransitions(chunk: string): void {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop()!;
    for (const line of lines) {
      const m = /Server (\S+)\/(\S+) is (UP|DOWN)\b/.exec(line);
      if (m) for (const listen of this.transitionListeners) listen({ backend: m[1]!, server: m[2]!, state: m[3] as 'UP' | 'DOWN' });
    }
  }

  /**
   * Resolves with what `read` returns at the moment HAProxy reports `server` of `backend` going
   * `state` (read as HAProxy's output arrives: not the test's clock).
   */
  nextTransition<T>(backend: string, server: string, state: 'UP' | 'DOWN', read: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.transitionListeners.delete(listen);
        reject(new Error(`HAProxy did not report ${backend}/${server} ${state}; it said:\n${this.output}`));
      }, 20000);
      const listen = (t: Transition): void => {
        if (t.backend !== backend || t.server !== server || t.state !== state) return;
        const value = read();
        clearTimeout(timer);
        this.transitionListeners.delete(listen);
        resolve(value);
      };
      this.transitionListeners.add(listen);
    });
  }

  /** Sends `command` to the runtime API and returns its answer. */
  private admin(command: string): Promise<string> {
    return new Promise((resolve) => {
      const c = net.connect(this.socketPath);
      let data = '';
      c.on('connect', () => c.write(`${command}\n`));
      c.on('data', (d) => (data += d));
      c.on('error', () => resolve(''));
      c.on('end', () => resolve(data));
    });
  }

  /** A field of a server's `show stat` row ('' when absent). */
  private async stat(backend: string, server: string): Promise<(name: string) => string> {
    const [header, ...rows] = (await this.admin('show stat')).split('\n');
    const names = (header ?? '').replace(/^# /, '').split(',');
    const row = rows.map((r) => r.split(',')).find((f) => f[0] === backend && f[1] === server);
    return (name) => row?.[names.indexOf(name)] ?? '';
  }

  /** The last check's status and code of a server (`show stat`: L7STS 503, L6RSP, L4CON, ...). */
  async checkStatus(backend: string, server: string): Promise<{ status: string; code: string }> {
    const field = await this.stat(backend, server);
    return { status: field('check_status'), code: field('check_code') };
  }

  /** Failed checks HAProxy counted for a server while it was up (`show stat` chkfail). */
  async failedChecks(backend: string, server: string): Promise<number> {
    return Number((await this.stat(backend, server))('chkfail'));
  }

  /** A server's check health (`show stat` check_health: 0 down, `full` = rise + fall - 1 fully up, as HAProxy runs them). */
  async checkHealth(backend: string, server: string): Promise<{ health: number; full: number }> {
    const field = await this.stat(backend, server);
    return { health: Number(field('check_health')), full: Number(field('check_rise')) + Number(field('check_fall')) - 1 };
  }

  /** `show servers state` of a backend: server name -> operational state (0 down, 2 up). */
  async serverStates(backend: string): Promise<Map<string, number>> {
    const states = new Map<string, number>();
    for (const line of (await this.admin(`show servers state ${backend}`)).split('\n')) {
      const f = line.split(' ');
      if (f.length > 6 && f[1] === backend) states.set(f[3]!, Number(f[5]));
    }
    return states;
  }

  /** Polls until `done` (no fixed sleep: the deadline only bounds a hang). */
  async until(done: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 20000;
    while (!(await done())) {
      if (this.process?.exitCode !== null) throw new Error(`haproxy exited while waiting for ${what}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; haproxy said:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until the split's servers (or the last resort's) are in the expected states. */
  async waitFor(expected: Record<string, number>, split: 'sites' | typeof LAST_RESORT = 'sites'): Promise<void> {
    await this.until(
      async () => {
        for (const backend of [`${split}-http`, `${split}-https`]) {
          const states = await this.serverStates(backend);
          if (Object.entries(expected).some(([name, state]) => states.get(name) !== state)) return false;
        }
        return true;
      },
      `server states ${JSON.stringify(expected)}`,
    );
  }

  async stop(): Promise<void> {
    const p = this.process;
    if (p && p.exitCode === null && p.signalCode === null) {
      await new Promise<void>((resolve) => {
        p.on('exit', () => resolve());
        p.kill('SIGTERM');
      });
    }
    for (const fake of this.sites.values()) if (fake.server.listening) await fake.close();
    this.cleanup();
  }
}
