/**
 * The exporter the monitoring component puts beside each keeper for the SQL health signals, run
 * for real: Debian's postgres_exporter with the rendered queries file and environment (its socket
 * directory, checked to be the keeper's volume at stolon's fixed socket directory, moved to the
 * test server's) against PostgreSQL 15 on loopback. Each signal the
 * keepers declare becomes the metric their PodMonitor scrapes and their alert reads, with the
 * value the signal's own SQL gives: on a server that is no standby and has no slot, the standby
 * signal reads 0 receivers streaming (it would fire on a standby) and the slot signal reads 100.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { QUERIES_FILE, SQL_EXPORTER_PORT, healthSignalMetric, sqlExporterEnv } from '../charts/monitoring/sql-exporter';
import { STOLON_SOCKET_DIR } from '../charts/postgres/keeper';
import { renderSite } from '../pipeline/render';
import { PLATFORM, SITES } from '../sites';
import { freePorts } from './free-port';
import { eventually } from './nats-helpers';
import { PgCluster } from './pg-server';

jest.setTimeout(90_000);
const PASSWORD = 'su-test-password';
const pg = new PgCluster(PASSWORD);
const processes: ChildProcess[] = [];
afterAll(() => {
  for (const p of processes) p.kill('SIGKILL');
  pg.destroy();
});

const postgresOf = (site: (typeof SITES)[number]) => renderSite(site, PLATFORM).components.find((c) => c.name === 'postgres')!;

test.each(SITES.map((s) => [s.name, s] as const))(
  'site %s: every health signal is served by the exporter beside the keepers',
  async (_name, site) => {
    const postgres = postgresOf(site);
    const signals = postgres.declarations.healthSignals;
    expect(signals.length).toBeGreaterThan(0);
    const declared = postgres.declarations.metrics.find((m) => m.port === SQL_EXPORTER_PORT)!;
    expect(declared.metrics).toEqual(signals.map(healthSignalMetric));

    const configMap = postgres.objects.find(
      (o) => o.kind === 'ConfigMap' && (o.data as Record<string, string> | undefined)?.[QUERIES_FILE],
    )!;
    const statefulSet = postgres.objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'stolon-keeper')!;
    type Container = { name: string; env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string }[] };
    const containers = (statefulSet.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;
    const container = containers.find((c) => c.name === 'health-exporter')!;
    // The exporter reaches the socket where stolon's keeper has PostgreSQL put it: the volume the
    // keeper container has at stolon's socket directory, mounted where the exporter connects.
    const keeperSocketVolume = containers
      .find((c) => c.name === 'keeper')!
      .volumeMounts.find((m) => m.mountPath === STOLON_SOCKET_DIR)?.name;
    const exporterHost = /[?&]host=([^&]+)/.exec(container.env.find((e) => e.name === 'DATA_SOURCE_URI')!.value)?.[1];
    expect(keeperSocketVolume).toBeDefined();
    expect(container.volumeMounts.find((m) => m.mountPath === exporterHost)?.name).toBe(keeperSocketVolume);

    if (pg.port === 0) {
      const [pgPort] = await freePorts(1);
      const started = pg.start({}, ['local all postgres scram-sha-256'], pgPort!);
      expect([started.status, pg.log()]).toEqual([0, expect.anything()]);
    }
    const dir = fs.mkdtempSync(path.join(pg.dir, 'exporter-'));
    fs.writeFileSync(path.join(dir, QUERIES_FILE), (configMap.data as Record<string, string>)[QUERIES_FILE]!);
    fs.writeFileSync(path.join(dir, 'password'), PASSWORD);
    // The rendered environment, with the test server's socket directory, port and password file.
    const rendered = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    const env = Object.fromEntries(
      sqlExporterEnv({
        signals,
        socketDir: pg.dir,
        user: rendered.DATA_SOURCE_USER!,
        port: pg.port,
        passwordFile: path.join(dir, 'password'),
      }).map((e) => [e.name, e.value!]),
    );
    expect(Object.keys(env).sort()).toEqual(Object.keys(rendered).sort());
    const [port] = await freePorts(1);
    const exporter = spawn(
      'prometheus-postgres-exporter',
      [`--extend.query-path=${path.join(dir, QUERIES_FILE)}`, '--disable-default-metrics', `--web.listen-address=127.0.0.1:${port}`],
      { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    exporter.stderr?.resume();
    processes.push(exporter);

    const values = await eventually('the signals exported', async () => {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })
        .then((r) => r.text())
        .catch(() => '');
      const found = signals.map((s) =>
        text.split('\n').find((l) => l.startsWith(`${healthSignalMetric(s)}{`) || l.startsWith(`${healthSignalMetric(s)} `)),
      );
      return found.every((l) => l !== undefined) ? found.map((l) => Number(l!.split(' ').pop())) : undefined;
    });
    const expected = signals.map((s) => (s.name === 'PostgresStandbyNotStreaming' ? 0 : 100));
    expect(values).toEqual(expected);
    // What the alerts read is what the query file says, query by query.
    expect(Object.keys(parse((configMap.data as Record<string, string>)[QUERIES_FILE]!) as object).length).toBe(signals.length);
    exporter.kill('SIGKILL');
  },
);
