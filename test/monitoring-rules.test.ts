/**
 * The alert rules every site renders, run through the real promtool (Debian's `prometheus`):
 * `promtool check rules` on the rendered groups, and `promtool test rules` on each alert's own
 * proof (it fires on the failure it names, stays silent when healthy). Every expression names
 * only metrics a component declares, and every runbook link reaches a heading that exists.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { AlertRule } from '../charts/lib/alerts';
import { ruleGroups } from '../charts/monitoring/scrapes';
import { tempDir } from './helpers';
import { alertProblems, declaredMetrics, metricNames, renderAll, renderedRuleGroups, run, withoutAnnotations } from './monitoring-helpers';

const rendered = renderAll();
const work = tempDir('monitoring-rules-');
afterAll(() => work.cleanup());

type DeclaredGroup = { name: string; rules: AlertRule[] };

/**
 * The labels `absent(...)` gives its one series: the equality matchers of a plain selector
 * (`absent(up{job="x"})` -> job="x"), none for any other expression (`absent(up == 1)`).
 */
function absentLabels(expr: string): Record<string, string> {
  const selector = /\babsent\(\s*[A-Za-z_:][\w:]*\s*(?:\{([^}]*)\})?\s*\)/.exec(expr);
  if (!selector) return {};
  return Object.fromEntries([...(selector[1] ?? '').matchAll(/(\w+)\s*=\s*"([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/**
 * promtool's unit tests of `groups`: each rule fires on its failing series and not on its healthy
 * ones; a rule guarded by `absent(...)` also fires with no series at all (nothing scraped).
 */
function unitTests(groups: DeclaredGroup[], swap = false) {
  return groups.flatMap((g) =>
    g.rules.flatMap((rule) => {
      const { failing, healthy } = swap ? { failing: rule.proof.healthy, healthy: rule.proof.failing } : rule.proof;
      const labels = { severity: rule.severity, component: g.name, ...(rule.proof.labels ?? {}) };
      const nothingScraped = /\babsent\(/.test(rule.expr)
        ? [
            {
              interval: '1m',
              input_series: [],
              alert_rule_test: [
                {
                  eval_time: rule.proof.at,
                  alertname: rule.name,
                  exp_alerts: swap ? [] : [{ exp_labels: { severity: rule.severity, component: g.name, ...absentLabels(rule.expr) } }],
                },
              ],
            },
          ]
        : [];
      return [
        {
          interval: '1m',
          input_series: failing,
          alert_rule_test: [{ eval_time: rule.proof.at, alertname: rule.name, exp_alerts: [{ exp_labels: labels }] }],
        },
        { interval: '1m', input_series: healthy, alert_rule_test: [{ eval_time: rule.proof.at, alertname: rule.name, exp_alerts: [] }] },
        ...nothingScraped,
      ];
    }),
  );
}

/**
 * Writes each rendered group's rules (annotations left out: promtool compares them, and they are
 * for people) into a file of its own, with the unit tests of that group's alerts beside it, and
 * returns the test files: promtool evaluates every rule of a test's rule files at each step, so a
 * test that loads only its own group costs a fraction of one that loads all of them (no rule reads
 * another group's: there are no recording rules). Every declared group must have its rendered one.
 */
function writeRuleTests(
  dir: string,
  groups: { name: string; rules: Record<string, unknown>[] }[],
  declared: DeclaredGroup[],
  swap = false,
): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const missing = declared.filter((d) => !groups.some((g) => g.name === d.name)).map((d) => d.name);
  if (missing.length > 0) throw new Error(`declared rule groups not rendered: ${missing.join(', ')}`);
  return groups.map((g) => {
    const bare = {
      name: g.name,
      rules: g.rules.map(withoutAnnotations),
    };
    const tests = unitTests(
      declared.filter((d) => d.name === g.name),
      swap,
    );
    fs.writeFileSync(path.join(dir, `rules-${g.name}.yaml`), stringify({ groups: [bare] }));
    fs.writeFileSync(
      path.join(dir, `tests-${g.name}.yaml`),
      stringify({ rule_files: [`rules-${g.name}.yaml`], evaluation_interval: '1m', tests }),
    );
    return `tests-${g.name}.yaml`;
  });
}

describe.each(rendered.map((r) => [r.site.name, r] as const))('site %s', (name, site) => {
  const groups = renderedRuleGroups(site);
  const declaredGroups = ruleGroups(site.components);

  test('renders the alerts of the components that declare them, health signals included', () => {
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual(expect.arrayContaining(['PostgresKeeperDown', 'NodeDown', 'SiteUnreachable', 'PublicRouteDown', 'EnvoyNoneUp']));
    // A standby cluster never has a master: its keepers all report the standby role.
    const primary = site.site.database.role === 'primary';
    expect(alerts).toContain(primary ? 'PostgresNoMaster' : 'PostgresNoStandby');
    expect(alerts).not.toContain(primary ? 'PostgresNoStandby' : 'PostgresNoMaster');
    const signals = site.components.flatMap((c) => c.declarations.healthSignals.map((s) => s.name));
    expect(signals.length).toBeGreaterThan(0);
    expect(alerts).toEqual(expect.arrayContaining(signals));
    // A signal whose query no exporter can run (the database unreachable from it) fires too: its
    // rule is guarded by absent(), which the promtool tests below run with nothing scraped.
    for (const signal of signals) expect(groups.flatMap((g) => g.rules).find((r) => r.alert === signal)?.expr).toMatch(/\babsent\(/);
  });

  test('promtool check rules accepts every rendered group', () => {
    const dir = path.join(work.dir, name, 'check');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups }));
    const r = run('promtool', ['check', 'rules', 'rules.yaml'], dir);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  test('promtool test rules: every alert fires on its failure and stays silent when healthy', () => {
    const dir = path.join(work.dir, name, 'test');
    const files = writeRuleTests(dir, groups, declaredGroups);
    const r = run('promtool', ['test', 'rules', ...files], dir);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  test('the same tests with the failing and healthy series swapped fail for every alert (the tests can fail)', () => {
    const dir = path.join(work.dir, name, 'swapped');
    const files = writeRuleTests(dir, groups, declaredGroups, true);
    const r = run('promtool', ['test', 'rules', ...files], dir);
    expect(r.status).not.toBe(0);
    for (const rule of declaredGroups.flatMap((g) => g.rules)) expect(r.output).toContain(`alertname: ${rule.name}`);
  });

  test('every alert reads only declared metrics and links to a runbook that exists', () => {
    const declared = declaredMetrics(site.components);
    expect(declaredGroups.flatMap((g) => g.rules.flatMap((r) => alertProblems(r, declared)))).toEqual([]);
  });
});

describe('the checks bite', () => {
  const declared = declaredMetrics(rendered[0]!.components);
  const rule = { name: 'Example', expr: 'up == 0', runbook: 'docs/runbooks/monitoring.md#targetdown' };

  test('a broken rule fails promtool check rules', () => {
    const dir = path.join(work.dir, 'broken');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups: [{ name: 'x', rules: [{ alert: 'Broken', expr: 'sum(up' }] }] }));
    const r = run('promtool', ['check', 'rules', 'rules.yaml'], dir);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/unclosed|parse error/);
  });

  test('an unknown metric, a missing runbook and a missing heading are each found', () => {
    expect(alertProblems(rule, declared)).toEqual([]);
    expect(alertProblems({ ...rule, expr: 'nats_jetstream_imaginary_total > 0' }, declared)).toEqual([
      'Example: metric nats_jetstream_imaginary_total is declared by no component',
    ]);
    expect(alertProblems({ ...rule, runbook: '' }, declared)).toEqual(['Example: no runbook']);
    expect(alertProblems({ ...rule, runbook: 'docs/runbooks/nowhere.md' }, declared)).toEqual([
      'Example: runbook docs/runbooks/nowhere.md does not exist',
    ]);
    expect(alertProblems({ ...rule, runbook: 'docs/runbooks/monitoring.md#nowhere' }, declared)).toEqual([
      'Example: runbook docs/runbooks/monitoring.md has no heading #nowhere',
    ]);
  });

  test('the PromQL reader finds the selected metrics, not functions or labels', () => {
    expect(
      metricNames('max by (target_site) (probe_success{probe="x"}) == 0 or absent(up{job="a"}) and rate(foo_total[5m]) > bar'),
    ).toEqual(['bar', 'foo_total', 'probe_success', 'up']);
    expect(() => metricNames('sum(up')).toThrow(/syntax error/);
  });
});

describe('BusJetStreamNoQuorum on the meta leader (prometheus-nats-exporter labels each server state with it)', () => {
  const group = renderedRuleGroups(rendered[0]!).find((g) => g.rules.some((r) => r.alert === 'BusJetStreamNoQuorum'))!;
  const rule = group.rules.find((r) => r.alert === 'BusJetStreamNoQuorum')!;
  const job = /job="([^"]+)"/.exec(String(rule.expr))![1]!;
  /** One server's JetStream state as the exporter labels it; `leader` '' when its meta group has none (the label is empty, so absent). */
  const state = (server: number, leader: string, values: string) => ({
    series: `jetstream_server_jetstream_disabled{job="${job}",instance="nats-${server}",is_meta_leader="${leader === `nats-${server}`}"${leader ? `,meta_leader="${leader}"` : ''}}`,
    values,
  });
  const servers = [0, 1, 2];
  const cases = [
    {
      what: 'all three serve JetStream, then lose their meta leader (a partition): fires',
      series: servers.flatMap((i) => [state(i, 'nats-0', '0x2 stale'), state(i, '', '_x3 0x7')]),
      fires: true,
    },
    {
      what: 'all three serve JetStream under a leader: silent',
      series: servers.map((i) => state(i, 'nats-0', '0x10')),
      fires: false,
    },
    {
      what: 'a new leader elected a minute after the old one is lost: silent (the rule waits 2m)',
      series: servers.flatMap((i) => [state(i, 'nats-0', '0x2 stale'), state(i, '', '_x3 0 stale'), state(i, 'nats-1', '_x4 0x6')]),
      fires: false,
    },
  ];

  /** promtool's verdict on the cases with the rule's expression as `expr`. */
  function verdict(name: string, expr: string): { status: number; output: string } {
    const dir = path.join(work.dir, 'bus-quorum', name);
    fs.mkdirSync(dir, { recursive: true });
    const bare = { ...withoutAnnotations(rule), expr };
    fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups: [{ name: group.name, rules: [bare] }] }));
    const tests = cases.map((c) => ({
      name: c.what,
      interval: '1m',
      input_series: c.series,
      alert_rule_test: [
        { eval_time: '10m', alertname: rule.alert, exp_alerts: c.fires ? [{ exp_labels: rule.labels as Record<string, string> }] : [] },
      ],
    }));
    fs.writeFileSync(path.join(dir, 'tests.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
    return run('promtool', ['test', 'rules', 'tests.yaml'], dir);
  }

  test('fires when the servers serving JetStream know no meta leader, not during an election', () => {
    expect(String(rule.expr)).toContain('meta_leader!=""');
    const r = verdict('rendered', String(rule.expr));
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  test('counting the servers with JetStream enabled alone misses the lost leader (the test can fail)', () => {
    const r = verdict('enabled-only', String(rule.expr).split(',meta_leader!=""').join(''));
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(cases[0]!.what);
    expect(r.output).not.toContain(cases[1]!.what);
    expect(r.output).not.toContain(cases[2]!.what);
  });
});
