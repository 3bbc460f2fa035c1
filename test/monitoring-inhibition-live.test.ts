/**
 * The Alertmanager inhibition each site renders (charts/monitoring/alertmanager.ts), proven on the
 * real programs: promtool shows that one keeper's scrape failing raises both PostgresKeeperDown
 * (critical) and TargetDown (warning) with the same `job` and `instance`, and a real Alertmanager
 * (Debian's `prometheus-alertmanager`) on loopback, given the rendered configuration and those
 * alerts through API v2, lists that TargetDown as inhibited by the critical one, while TargetDown of
 * another target and the critical alerts themselves stay active. Every process is stopped, even on
 * failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { TARGET_DOWN_INHIBITION } from '../charts/monitoring/alertmanager';
import { TARGET_DOWN } from '../charts/monitoring/platform-alerts';
import { tempDir } from './helpers';
import { eventually, freePorts, liveTimeout } from './nats-helpers';
import { renderAll, renderedRuleGroups, run, withoutAnnotations } from './monitoring-helpers';

/** An alert as Alertmanager's API v2 lists it. */
interface ListedAlert {
  readonly labels: Record<string, string>;
  readonly fingerprint: string;
  readonly status: { readonly state: string; readonly inhibitedBy: readonly string[] };
}
type Labels = Record<string, string>;

const rendered = renderAll();
const [site] = rendered;
const monitoring = site!.components.find((c) => c.name === 'monitoring')!;
const config = (monitoring.helmChart!.values as { alertmanager: { config: Record<string, unknown> } }).alertmanager.config;
const rules = renderedRuleGroups(site!).flatMap((g) => g.rules.map((rule) => ({ group: g.name, rule })));
const ruleNamed = (name: string) => rules.find((r) => r.rule.alert === name)!;
/** The critical alerts on one scrape target: `up{job="..."} == 0`. */
const perTarget = rules.filter(
  (r) => (r.rule.labels as Labels).severity === 'critical' && /^up\{job="[^"]+"\} == 0$/.test(String(r.rule.expr)),
);
/** A scrape target's `up` labels as the keepers' PodMonitor gives them (its relabelling sets `component` too). */
const target = (job: string, instance: string): Labels => ({
  job,
  instance,
  component: 'postgres',
  namespace: 'postgres',
  pod: 'postgres-keeper-0',
});
/** An alert's labels but its name, as Prometheus sends it: the series' labels, then the rule's (which win). */
const labelsOf = (name: string, series: Labels): Labels => ({ ...series, ...(ruleNamed(name).rule.labels as Labels) });
const alertOf = (name: string, series: Labels): Labels => ({ alertname: name, ...labelsOf(name, series) });

const work = tempDir('monitoring-inhibition-');
afterAll(() => work.cleanup());
jest.setTimeout(liveTimeout(2));

test('every site renders the same inhibition; the critical alert on one scrape target is PostgresKeeperDown', () => {
  for (const r of rendered) {
    const values = r.components.find((c) => c.name === 'monitoring')!.helmChart!.values as {
      alertmanager: { config: Record<string, unknown> };
    };
    expect(values.alertmanager.config.inhibit_rules).toEqual([TARGET_DOWN_INHIBITION]);
  }
  expect(perTarget.map((r) => r.rule.alert)).toEqual(['PostgresKeeperDown']);
});

test.each(perTarget.map((r) => [r.rule.alert as string, r] as const))(
  "promtool: one target's failed scrape raises %s and TargetDown with the same job and instance",
  (name, critical) => {
    const job = /job="([^"]+)"/.exec(String(critical.rule.expr))![1]!;
    const series = target(job, '10.0.0.1:8080');
    const groups = [...new Set([critical.group, ruleNamed(TARGET_DOWN).group])].map((g) => ({
      name: g,
      rules: rules.filter((r) => r.group === g).map((r) => withoutAnnotations(r.rule)),
    }));
    const dir = path.join(work.dir, 'promtool');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups }));
    const selector = `up{${Object.entries(series)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',')}}`;
    const exp = (alert: string) => ({ eval_time: '10m', alertname: alert, exp_alerts: [{ exp_labels: labelsOf(alert, series) }] });
    const tests = [
      { interval: '1m', input_series: [{ series: selector, values: '0x10' }], alert_rule_test: [exp(name), exp(TARGET_DOWN)] },
    ];
    fs.writeFileSync(path.join(dir, 'tests.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
    const r = run('promtool', ['test', 'rules', 'tests.yaml'], dir);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  },
);

describe('the rendered configuration in a real Alertmanager', () => {
  let alertmanager: ChildProcess | undefined;
  let port = 0;
  let output = '';
  const api = async <T>(method: 'GET' | 'POST', body?: unknown): Promise<T | undefined> => {
    const r = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    if (!r.ok) throw new Error(`${method} /api/v2/alerts: ${r.status} ${await r.text()}`);
    return method === 'GET' ? ((await r.json()) as T) : undefined;
  };

  beforeAll(async () => {
    const [webPort, closedPort] = await freePorts(2);
    port = webPort!;
    const dir = path.join(work.dir, 'alertmanager');
    fs.mkdirSync(dir, { recursive: true });
    // The rendered configuration, its mail server moved to a loopback port nothing listens on.
    const global = { ...(config.global as Record<string, unknown>), smtp_smarthost: `127.0.0.1:${closedPort}` };
    fs.writeFileSync(path.join(dir, 'alertmanager.yml'), stringify({ ...config, global }));
    alertmanager = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    alertmanager.stderr!.on('data', (d) => (output += d));
    await eventually('Alertmanager to be ready', async () => {
      if (alertmanager!.exitCode !== null) throw new Error(`Alertmanager exited:\n${output}`);
      const r = await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      return r?.ok ? true : undefined;
    });
  });

  afterAll(async () => {
    const p = alertmanager;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGKILL');
      await exited;
    }
  });

  test.each(perTarget.map((r) => [r.rule.alert as string] as const))(
    '%s inhibits TargetDown of its own target only; the critical alerts are not inhibited',
    async (name) => {
      const job = /job="([^"]+)"/.exec(String(ruleNamed(name).rule.expr))![1]!;
      const posted = {
        critical: alertOf(name, target(job, '10.0.0.1:8080')),
        sameTarget: alertOf(TARGET_DOWN, target(job, '10.0.0.1:8080')),
        otherTarget: alertOf(TARGET_DOWN, target(job, '10.0.0.2:8080')),
        // A critical alert with neither job nor instance (an aggregate over targets).
        aggregate: alertOf('EnvoyNoneUp', {}),
      };
      await api(
        'POST',
        Object.values(posted).map((labels) => ({ labels })),
      );
      const same = (a: ListedAlert, labels: Labels) =>
        JSON.stringify(Object.entries(a.labels).sort()) === JSON.stringify(Object.entries(labels).sort());
      // Alertmanager decides inhibition when it lists alerts, from the sources it has taken in.
      const listed = await eventually('TargetDown of the failed target to be inhibited', async () => {
        const alerts = (await api<ListedAlert[]>('GET'))!;
        const found = Object.fromEntries(Object.entries(posted).map(([k, labels]) => [k, alerts.find((a) => same(a, labels))]));
        return Object.values(found).every(Boolean) && found.sameTarget!.status.inhibitedBy.length > 0
          ? (found as Record<keyof typeof posted, ListedAlert>)
          : undefined;
      });
      expect(listed.sameTarget.status).toMatchObject({ state: 'suppressed', inhibitedBy: [listed.critical.fingerprint] });
      for (const key of ['critical', 'otherTarget', 'aggregate'] as const) {
        expect([key, listed[key].status.state, listed[key].status.inhibitedBy]).toEqual([key, 'active', []]);
      }
    },
  );
});
