/**
 * The exporters the alerts read, run for real on loopback (Debian's prometheus-node-exporter and
 * prometheus-blackbox-exporter): every metric name the monitoring component declares for them is
 * really served, and the blackbox modules Probes use answer as the alerts expect (a listening
 * address succeeds, a closed one fails; an HTTPS route that answers, even 404, succeeds, a 503
 * fails, and the certificate's expiry is reported). Every process is stopped, even on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { BLACKBOX_MODULES, blackboxConfig } from '../charts/monitoring/blackbox';
import { MONITORING_METRICS } from '../charts/monitoring/platform-alerts';
import { tempDir } from './helpers';
import { freePorts } from './free-port';
import { eventually } from './nats-helpers';
import { issue, makeCa } from './tls-helpers';

jest.setTimeout(60_000);
const work = tempDir('monitoring-exporters-');
const processes: ChildProcess[] = [];
const servers: https.Server[] = [];
afterAll(async () => {
  for (const p of processes) p.kill('SIGKILL');
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  work.cleanup();
});

function start(binary: string, args: string[]): void {
  const p = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr?.resume();
  processes.push(p);
}

async function get(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return r.ok ? await r.text() : undefined;
  } catch {
    return undefined;
  }
}

/** The metric names in a Prometheus text exposition. */
function exposed(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/)[0]!),
  );
}

/** The value of an unlabelled metric in an exposition. */
function value(text: string, metric: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

test('node-exporter serves every metric the monitoring component declares for it', async () => {
  const [port] = await freePorts(1);
  start('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`]);
  const text = await eventually('node-exporter metrics', () => get(`http://127.0.0.1:${port}/metrics`));
  const names = exposed(text);
  expect(MONITORING_METRICS.nodeExporter.filter((m) => !names.has(m))).toEqual([]);
});

describe('blackbox exporter with the rendered modules', () => {
  let port = 0;
  let closed = 0;
  let tlsPort = 0;

  beforeAll(async () => {
    [port, closed, tlsPort] = await freePorts(3);
    const ca = makeCa(path.join(work.dir, 'ca'), 'probe-ca');
    const certs = path.join(work.dir, 'server');
    issue(ca, certs, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], usage: 'server' });
    const server = https.createServer(
      { cert: fs.readFileSync(path.join(certs, 'tls.crt')), key: fs.readFileSync(path.join(certs, 'tls.key')) },
      (req, res) => {
        res.statusCode = req.url === '/down' ? 503 : req.url === '/missing' ? 404 : 200;
        res.end('ok');
      },
    );
    await new Promise<void>((resolve) => server.listen(tlsPort, '127.0.0.1', resolve));
    servers.push(server);
    // The rendered modules as they are, the test CA added to the HTTPS one (the sites' routes carry public certificates).
    const config = parse(blackboxConfig()) as { modules: Record<string, { http?: Record<string, unknown> }> };
    config.modules[BLACKBOX_MODULES.https]!.http!.tls_config = { ca_file: ca.cert };
    const file = path.join(work.dir, 'blackbox.yml');
    fs.writeFileSync(file, stringify(config));
    start('prometheus-blackbox-exporter', [`--config.file=${file}`, `--web.listen-address=127.0.0.1:${port}`]);
    await eventually('blackbox exporter', () => get(`http://127.0.0.1:${port}/-/healthy`));
  });

  const probe = (module: string, target: string) =>
    eventually(`probe ${target}`, () => get(`http://127.0.0.1:${port}/probe?module=${module}&target=${encodeURIComponent(target)}`));

  test('a listening address succeeds, a closed one fails (tcp_connect)', async () => {
    const up = await probe(BLACKBOX_MODULES.tcp, `127.0.0.1:${port}`);
    expect(value(up, 'probe_success')).toBe(1);
    const down = await probe(BLACKBOX_MODULES.tcp, `127.0.0.1:${closed}`);
    expect(value(down, 'probe_success')).toBe(0);
  });

  test('an HTTPS route that answers succeeds (a 404 too), a 503 fails, and the declared metrics are served', async () => {
    const ok = await probe(BLACKBOX_MODULES.https, `https://127.0.0.1:${tlsPort}/`);
    expect(value(ok, 'probe_success')).toBe(1);
    expect(MONITORING_METRICS.blackbox.filter((m) => !exposed(ok).has(m))).toEqual([]);
    expect(value(ok, 'probe_ssl_earliest_cert_expiry')).toBeGreaterThan(Date.now() / 1000);
    expect(value(await probe(BLACKBOX_MODULES.https, `https://127.0.0.1:${tlsPort}/missing`), 'probe_success')).toBe(1);
    expect(value(await probe(BLACKBOX_MODULES.https, `https://127.0.0.1:${tlsPort}/down`), 'probe_success')).toBe(0);
  });
});
