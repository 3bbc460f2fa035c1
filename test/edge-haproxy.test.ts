/**
 * The edge configuration checked and run by the real HAProxy (Debian package `haproxy`): the
 * rendered file is accepted by `haproxy -c`, a broken one is refused, and HAProxy running the
 * rendered file (addresses remapped to loopback) relays the client's real address in a PROXY v2
 * header and follows the split policy when a site is down.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { LAST_RESORT, renderHaproxyConfig } from '../charts/edge/haproxy';
import { PlatformError } from '../model/errors';
import { validateEdge } from '../pipeline/validate-ingress';
import { EDGE, SITES, type EdgeProxy, type Site } from '../sites';
import { tempDir, withChange } from './helpers';
import { ask } from './proxy-v2';
import { DOWN, EDGE_SOURCE_ON_LOOPBACK, RunningEdge, STAGING, UP } from './edge-run';
import { edgeTestCerts, healthySites, type EdgeTestCerts } from './edge-site';

function haproxyCheck(text: string): { status: number | null; output: string } {
  const { dir, cleanup } = tempDir('edge-check-');
  try {
    const file = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(file, text);
    const r = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    cleanup();
  }
}

describe('rendered haproxy.cfg', () => {
  const text = renderHaproxyConfig(EDGE, SITES);

  it('is the committed gitops/edge/haproxy.cfg', () => {
    expect(fs.readFileSync(path.join(__dirname, '..', 'gitops', 'edge', 'haproxy.cfg'), 'utf8')).toBe(text);
  });

  it('says which HAProxy it needs', () => {
    expect(text.split('\n')[0]).toMatch(/HAProxy 2\.6 or newer/);
  });

  it('is accepted by haproxy -c', () => {
    const r = haproxyCheck(text);
    expect(r.output).toMatch(/Configuration file is valid/);
    expect(r.status).toBe(0);
  });

  it('sends PROXY v2 to every site floating address, on both ports; 80 follows the health of 443', () => {
    for (const site of SITES) {
      const address = site.loadBalancer.fixed.ingress.replace(/\./g, '\\.');
      expect(text).toMatch(new RegExp(`server ${site.name} ${address}:443 send-proxy-v2 check check-send-proxy check-ssl `));
      expect(text).toMatch(new RegExp(`server ${site.name} ${address}:80 send-proxy-v2 track sites-https/${site.name} `));
    }
  });

  it('binds IPv4 and IPv6 on 80 and 443', () => {
    for (const port of [80, 443]) {
      expect(text).toContain(`bind ${EDGE.ipv4}:${port}\n`);
      expect(text).toContain(`bind [${EDGE.ipv6}]:${port} v6only\n`);
    }
  });

  it.each([
    ['a misspelled server option', (t: string) => t.replace('send-proxy-v2', 'send-proxy-v9')],
    ['a backend that does not exist', (t: string) => t.replace('default_backend sites-https', 'default_backend sites-gone')],
    ['a bad address', (t: string) => t.replace(`bind ${EDGE.ipv4}:443`, 'bind 203.0.113.300:443')],
  ])('with %s is refused by haproxy -c', (_what, breakIt) => {
    const broken = breakIt(text);
    expect(broken).not.toBe(text);
    const r = haproxyCheck(broken);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/ALERT|error/i);
  });
});

describe('edge model validation', () => {
  const errorsOf = (edge: EdgeProxy, sites: readonly Site[] = SITES): string => {
    try {
      validateEdge(edge, sites);
      return '';
    } catch (err) {
      if (err instanceof PlatformError) return err.message;
      throw err;
    }
  };
  it('accepts the committed edge', () => expect(errorsOf(EDGE)).toBe(''));
  it('refuses an active site that does not exist', () => {
    expect(errorsOf({ ...EDGE, split: { mode: 'active-backup', active: 'cluster9' } })).toMatch(
      /field split\.active \(sites\/edge\.ts\): expected one of the sites \(cluster1, cluster2\), got "cluster9"/,
    );
  });
  it('refuses a bad weight and an unknown site in weights', () => {
    const msg = errorsOf({ ...EDGE, split: { mode: 'weighted', weights: { cluster1: 0, nowhere: 3 } } });
    expect(msg).toMatch(/split\.weights\.cluster1 .*expected an integer weight from 1 to 256, got 0/);
    expect(msg).toMatch(/split\.weights\.nowhere .*expected one of the sites \(cluster1, cluster2\), got "nowhere"/);
  });
  it('refuses a source address that is not one address', () => {
    expect(errorsOf({ ...EDGE, sourceAddresses: ['203.0.113.0/28'] })).toMatch(
      /field sourceAddresses\[0\] .*expected a single address \(\/32\): the VM connects to the sites from it/,
    );
  });
  it('refuses a split onto a site that never takes public traffic, and a platform where none does', () => {
    const sites = [...SITES, STAGING];
    const errors = (edge: EdgeProxy, all: readonly Site[] = sites): string => errorsOf(edge, all);
    expect(errors(EDGE)).toBe('');
    expect(errors({ ...EDGE, split: { mode: 'active-backup', active: 'staging' } })).toMatch(
      /field split\.active \(sites\/edge\.ts\): site staging never takes public traffic \(dns\.servesPublicDomain: false in sites\/staging\.ts\); expected one of cluster1, cluster2/,
    );
    expect(errors({ ...EDGE, split: { mode: 'weighted', weights: { cluster1: 1, staging: 1 } } })).toMatch(
      /field split\.weights\.staging .*never takes public traffic/,
    );
    const closed = sites.map((s) => withChange(s, (d) => ((d.dns as Record<string, unknown>).servesPublicDomain = false)));
    expect(errors(EDGE, closed)).toMatch(/field dns\.servesPublicDomain: no site serves the public domain/);
  });
  it('refuses a bad public address', () => {
    expect(errorsOf({ ...EDGE, ipv4: '203.0.113' })).toMatch(/field ipv4 .*expected a public IPv4 address/);
  });
});

/** Starts a TLS handshake with `servername` (the fake site answers in clear, so it then fails). */
function tlsHello(port: number, servername: string, localAddress: string): Promise<void> {
  return new Promise((resolve) => {
    const raw = net.connect({ host: '127.0.0.1', port, localAddress });
    raw.on('error', () => resolve());
    const socket = tls.connect({ socket: raw, servername, rejectUnauthorized: false });
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
}

/** A plain-HTTP request for `host`, as a browser sends to port 80. */
const httpGet = (host: string): string => `GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: test\r\n\r\n`;

async function askMany(host: string, port: number, from: string, n: number, request?: string): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < n; i++) {
    const { answer, localPort } = await ask(host, port, from, request);
    const [site, address, sourcePort] = answer.split(' ');
    // The site sees the client's own address and port, not HAProxy's.
    expect(address).toBe(from);
    expect(Number(sourcePort)).toBe(localPort);
    answers.push(site!);
  }
  return answers;
}

describe('HAProxy running the rendered file', () => {
  let certs: EdgeTestCerts;
  const tmp = tempDir('edge-certs-');
  beforeAll(() => (certs = edgeTestCerts(tmp.dir)));
  afterAll(() => tmp.cleanup());

  it('active/backup: relays the client address to the active site, then to the backup when it is down', async () => {
    expect(EDGE.split).toEqual({ mode: 'active-backup', active: 'cluster1' });
    const sites = healthySites(SITES, certs);
    const edge = new RunningEdge(EDGE, sites, { trustedCa: certs.trustedCa });
    try {
      await edge.start();
      await edge.waitFor({ cluster1: UP, cluster2: UP });
      // 127.0.0.7 is not HAProxy's own address: seeing it at the site proves the header carried it.
      expect(await askMany('127.0.0.1', edge.ports.https, '127.0.0.7', 6)).toEqual(Array(6).fill('cluster1'));
      expect(await askMany('127.0.0.1', edge.ports.http, '127.0.0.7', 3, httpGet('images.chataik.fr'))).toEqual(Array(3).fill('cluster1'));
      expect(await askMany('::1', edge.ports.https6, '::1', 3)).toEqual(Array(3).fill('cluster1'));
      expect(sites.get('cluster1')!.rejected).toBe(0);
      expect(sites.get('cluster2')!.relayed).toHaveLength(0);

      // A per-site name goes to its site whatever the split, chosen by the TLS SNI.
      const c2 = SITES.find((x) => x.name === 'cluster2')!;
      await tlsHello(edge.ports.https, `argocd.${c2.dns.siteHostname}`, '127.0.0.6');
      expect(sites.get('cluster2')!.relayed.map((h) => h.source?.address)).toEqual(['127.0.0.6']);
      await tlsHello(edge.ports.https, 'www.chataik.fr', '127.0.0.6');
      expect(sites.get('cluster2')!.relayed).toHaveLength(1);
      // On port 80 the Host header chooses (port included or not), still with the PROXY header.
      const perSiteHttp = await askMany('127.0.0.1', edge.ports.http, '127.0.0.6', 2, httpGet(`argocd.${c2.dns.siteHostname}:80`));
      expect(perSiteHttp).toEqual(['cluster2', 'cluster2']);
      expect(await askMany('127.0.0.1', edge.ports.http, '127.0.0.6', 1, httpGet(c2.dns.siteHostname!.toUpperCase()))).toEqual([
        'cluster2',
      ]);
      expect(await askMany('127.0.0.1', edge.ports.http, '127.0.0.6', 1, httpGet('www.chataik.fr'))).toEqual(['cluster1']);
      // Every connection, health checks included, comes from the edge's source address.
      for (const fake of sites.values()) expect(new Set(fake.peers)).toEqual(new Set([EDGE_SOURCE_ON_LOOPBACK]));

      await sites.get('cluster1')!.close();
      await edge.waitFor({ cluster1: DOWN, cluster2: UP });
      expect(await askMany('127.0.0.1', edge.ports.https, '127.0.0.8', 6)).toEqual(Array(6).fill('cluster2'));
      expect(await askMany('::1', edge.ports.http6, '::1', 2, httpGet('images.chataik.fr'))).toEqual(Array(2).fill('cluster2'));
      // Health checks carry a PROXY header too: the sites never saw a connection without one.
      expect(sites.get('cluster2')!.rejected).toBe(0);
    } finally {
      await edge.stop();
    }
  });

  it('a site that never takes public traffic gets none, even when the others are down, and only its own names', async () => {
    const model = [...SITES, STAGING];
    validateEdge(EDGE, model);
    const text = renderHaproxyConfig(EDGE, model);
    const block = (name: string) => text.split('\n\n').find((b) => b.startsWith(`backend ${name}\n`))!;
    for (const backend of ['sites-http', 'sites-https', 'sites-last-resort-http', 'sites-last-resort-https']) {
      expect(block(backend)).toMatch(/server cluster1 .*\n.*server cluster2 /);
      expect(block(backend)).not.toContain('server staging');
    }
    expect(block('site-staging-https')).toContain('server staging 192.0.2.200:443 send-proxy-v2');
    const sites = healthySites(model, certs);
    const edge = new RunningEdge(EDGE, sites, { trustedCa: certs.trustedCa, model });
    try {
      await edge.start();
      await edge.waitFor({ cluster1: UP, cluster2: UP });
      await tlsHello(edge.ports.https, 'argocd.staging.chataik.fr', '127.0.0.4');
      expect(await askMany('127.0.0.1', edge.ports.http, '127.0.0.4', 1, httpGet('staging.chataik.fr'))).toEqual(['staging']);
      expect(sites.get('staging')!.relayed.map((h) => h.source?.address)).toEqual(['127.0.0.4', '127.0.0.4']);
      await sites.get('cluster1')!.close();
      await sites.get('cluster2')!.close();
      await edge.waitFor({ cluster1: DOWN, cluster2: DOWN });
      await edge.waitFor({ cluster1: DOWN, cluster2: DOWN }, LAST_RESORT);
      // Public names find no site rather than the staging one, not even as a last resort.
      const lost = await ask('127.0.0.1', edge.ports.https, '127.0.0.4').catch(() => ({ answer: '' }));
      expect(lost.answer).toBe('');
      expect(sites.get('staging')!.relayed).toHaveLength(2);
    } finally {
      await edge.stop();
    }
  });

  it('weighted: spreads connections by weight, and all to the survivor when a site is down', async () => {
    const weighted: EdgeProxy = { ...EDGE, split: { mode: 'weighted', weights: { cluster1: 3, cluster2: 1 } } };
    validateEdge(weighted, SITES);
    const sites = healthySites(SITES, certs);
    const edge = new RunningEdge(weighted, sites, { trustedCa: certs.trustedCa });
    try {
      await edge.start();
      await edge.waitFor({ cluster1: UP, cluster2: UP });
      const answers = await askMany('127.0.0.1', edge.ports.https, '127.0.0.9', 40);
      expect(answers.filter((s) => s === 'cluster1')).toHaveLength(30);
      expect(answers.filter((s) => s === 'cluster2')).toHaveLength(10);

      await sites.get('cluster1')!.close();
      await edge.waitFor({ cluster1: DOWN, cluster2: UP });
      expect(await askMany('127.0.0.1', edge.ports.https, '127.0.0.9', 8)).toEqual(Array(8).fill('cluster2'));
    } finally {
      await edge.stop();
    }
  });
});
