/**
 * The edge's HAProxy, for real, on loopback: the rendered haproxy.cfg with its addresses remapped
 * (binds, the sites' floating addresses to fake sites that parse PROXY v2, the admin socket) and
 * nothing else changed but what an unprivileged run needs. Used by the edge tests and the rehearsal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { EDGE_ADMIN_SOCKET, EDGE_STATS, edgeSourceAddress, renderHaproxyConfig, servesPublicDomain } from '../charts/edge/haproxy';
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

  constructor(
    private readonly edge: EdgeProxy,
    private readonly sites: Map<string, FakeSite>,
    private readonly model: readonly Site[] = SITES,
    /** A change to the rendered file after the remapping (a rehearsal breaking a setting on purpose). */
    private readonly change: (text: string) => string = (text) => text,
  ) {}

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
      .replace(/maxconn \d+/, 'maxconn 256')
      // Faster health checks so a down site is noticed quickly; the tests wait for the state.
      .replace(/inter 2s fall 3 rise 2/g, 'inter 100ms fall 2 rise 1');
    for (const site of this.model) {
      const port = backendPorts.get(site.name)!;
      text = text.replace(new RegExp(`${site.loadBalancer.fixed.ingress.replace(/\./g, '\\.')}:(80|443) `, 'g'), `127.0.0.1:${port} `);
    }
    if (/192\.0\.2\.|198\.51\.100\.|203\.0\.113\.|2001:db8/.test(text)) throw new Error(`an address was not remapped:\n${text}`);
    text = this.change(text);
    const file = path.join(tmp.dir, 'haproxy.cfg');
    fs.writeFileSync(file, text);
    this.process = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout!.on('data', (d) => (this.output += d));
    this.process.stderr!.on('data', (d) => (this.output += d));
    const splitSites = this.model.filter(servesPublicDomain).length;
    await this.until(async () => (await this.serverStates('sites-https')).size === splitSites, 'HAProxy to start');
  }

  /** `show servers state` of a backend: server name -> operational state (0 down, 2 up). */
  serverStates(backend: string): Promise<Map<string, number>> {
    return new Promise((resolve) => {
      const c = net.connect(this.socketPath);
      let data = '';
      c.on('connect', () => c.write(`show servers state ${backend}\n`));
      c.on('data', (d) => (data += d));
      c.on('error', () => resolve(new Map()));
      c.on('end', () => {
        const states = new Map<string, number>();
        for (const line of data.split('\n')) {
          const f = line.split(' ');
          if (f.length > 6 && f[1] === backend) states.set(f[3]!, Number(f[5]));
        }
        resolve(states);
      });
    });
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

  async waitFor(expected: Record<string, number>): Promise<void> {
    await this.until(
      async () => {
        for (const backend of ['sites-http', 'sites-https']) {
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
