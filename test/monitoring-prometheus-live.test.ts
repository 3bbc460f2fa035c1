/**
 * Each site's rendered alert rules in a real Prometheus server (Debian's `prometheus`) on
 * loopback, scraping a real node-exporter and, through a real blackbox exporter with the
 * rendered modules, probing that exporter's address as the other site's floating address. The
 * server loads every rendered group and evaluates every rule without error; healthy, neither
 * `TargetDown` nor `SiteUnreachable` is active (the only active alerts are those that fire on an
 * absent series, for the components not running here); with the exporter stopped, both go
 * pending then firing in /api/v1/alerts, and clear when it is back. The test copy's `for:` durations are shortened to
 * `FOR` (the rendered ones are minutes; the promtool proofs cover them). The sites run side by side,
 * each with its own servers, so their waits overlap. Every process is stopped, even on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { BLACKBOX_MODULES, blackboxConfig } from '../charts/monitoring/blackbox';
import { PROBE_KIND } from '../charts/monitoring/platform-alerts';
import { tempDir } from './helpers';
import { eventually, freePorts, liveTimeout } from './nats-helpers';
import { renderAll, renderedRuleGroups } from './monitoring-helpers';

/** The `for:` of every rule in the test copy: long enough to see `pending`, short enough for a test. */
const FOR = '4s';
const NODE_JOB = 'node-exporter';

interface ActiveAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}
interface LoadedRule {
  name: string;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

const rendered = renderAll();
jest.setTimeout(liveTimeout(5, 30_000));

class Processes {
  private readonly running: ChildProcess[] = [];
  start(binary: string, args: string[]): ChildProcess {
    const p = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr?.resume();
    this.running.push(p);
    return p;
  }
  async stop(p: ChildProcess): Promise<void> {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGKILL');
    await exited;
  }
  async stopAll(): Promise<void> {
    await Promise.all(this.running.map((p) => this.stop(p)));
  }
}

async function api<T>(port: number, endpoint: string): Promise<T | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/${endpoint}`, { signal: AbortSignal.timeout(5_000) });
    if (!r.ok) return undefined;
    return ((await r.json()) as { data: T }).data;
  } catch {
    return undefined;
  }
}

const alertsOf = async (port: number) => (await api<{ alerts: ActiveAlert[] }>(port, 'alerts'))?.alerts;

/** One site's rules in its own Prometheus, with its node-exporter and blackbox exporter. */
class SiteStack {
  readonly work: ReturnType<typeof tempDir>;
  readonly processes = new Processes();
  readonly groups: ReturnType<typeof renderedRuleGroups>;
  readonly absentRules: string[];
  promPort = 0;
  nodePort = 0;
  nodeExporter: ChildProcess | undefined;

  constructor(
    readonly name: string,
    site: (typeof rendered)[number],
  ) {
    this.work = tempDir(`prometheus-live-${name}-`);
    this.groups = renderedRuleGroups(site);
    this.absentRules = this.groups.flatMap((g) => g.rules.filter((r) => /\babsent\(/.test(String(r.expr))).map((r) => String(r.alert)));
  }

  async start(): Promise<void> {
    const [prom, node, blackbox] = await freePorts(3);
    [this.promPort, this.nodePort] = [prom!, node!];
    const file = (n: string, text: string) => {
      fs.writeFileSync(path.join(this.work.dir, n), text);
      return path.join(this.work.dir, n);
    };
    const rules = file(
      'rules.yaml',
      stringify({ groups: this.groups.map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, for: FOR })) })) }),
    );
    // The blackbox scrape as the operator renders a Probe: target as a parameter, the exporter as the address.
    const config = file(
      'prometheus.yml',
      stringify({
        // A 2 s scrape timeout: one scrape slower than 1 s on a loaded machine would make TargetDown
        // pending in the silence test; FOR (4 s) is still longer than an interval.
        global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '1s' },
        rule_files: [rules],
        scrape_configs: [
          { job_name: NODE_JOB, static_configs: [{ targets: [`127.0.0.1:${this.nodePort}`] }] },
          {
            job_name: 'site-other',
            metrics_path: '/probe',
            params: { module: [BLACKBOX_MODULES.tcp] },
            static_configs: [{ targets: [`127.0.0.1:${this.nodePort}`], labels: { probe: PROBE_KIND.site, target_site: 'other' } }],
            relabel_configs: [
              { source_labels: ['__address__'], target_label: '__param_target' },
              { source_labels: ['__param_target'], target_label: 'instance' },
              { target_label: '__address__', replacement: `127.0.0.1:${blackbox}` },
            ],
          },
        ],
      }),
    );
    this.startNodeExporter();
    this.processes.start('prometheus-blackbox-exporter', [
      `--config.file=${file('blackbox.yml', blackboxConfig())}`,
      `--web.listen-address=127.0.0.1:${blackbox}`,
    ]);
    this.processes.start('prometheus', [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(this.work.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.promPort}`,
    ]);
  }

  startNodeExporter(): void {
    this.nodeExporter = this.processes.start('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${this.nodePort}`]);
  }

  async stop(): Promise<void> {
    await this.processes.stopAll();
    this.work.cleanup();
  }
}

/**
 * Runs `check` for every site at once (each site has its own servers, so their waits overlap: most
 * of this file's time is Prometheus's own intervals and the rules' `for:`), naming the site in a failure.
 */
async function everySite(check: (stack: SiteStack) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(stacks.map((stack) => check(stack)));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`site ${stacks[i]!.name}: ${(r.reason as Error).message}`] : []));
  if (failed.length > 0) throw new Error(failed.join('\n\n'));
}

const stacks = rendered.map((r) => new SiteStack(r.site.name, r));

describe(`every site (${stacks.map((s) => s.name).join(', ')}) in its own real Prometheus, side by side`, () => {
  beforeAll(async () => {
    await Promise.all(stacks.map((s) => s.start()));
  });
  afterAll(async () => {
    await Promise.all(stacks.map((s) => s.stop()));
  });

  test('the server loads every rendered group and evaluates every rule without error', () =>
    everySite(async ({ promPort, groups }) => {
      const loaded = await eventually('every rule evaluated', async () => {
        const data = await api<{ groups: { name: string; rules: LoadedRule[] }[] }>(promPort, 'rules');
        const rules = data?.groups.flatMap((g) => g.rules) ?? [];
        return rules.length > 0 && rules.every((r) => !r.lastEvaluation.startsWith('0001')) ? data : undefined;
      });
      expect(loaded.groups.map((g) => g.name).sort()).toEqual(groups.map((g) => g.name).sort());
      expect(loaded.groups.flatMap((g) => g.rules.map((r) => r.name)).sort()).toEqual(
        groups.flatMap((g) => g.rules.map((r) => String(r.alert))).sort(),
      );
      const failing = loaded.groups.flatMap((g) => g.rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`));
      expect(failing).toEqual([]);
    }));

  test('healthy, TargetDown and SiteUnreachable stay silent; only absent-series alerts are active', () =>
    everySite(async ({ promPort, absentRules }) => {
      await eventually('both targets scraped up', async () => {
        const r = await api<{ result: unknown[] }>(promPort, 'query?query=' + encodeURIComponent('up == 1 and on() probe_success == 1'));
        return r && r.result.length > 0 ? r : undefined;
      });
      // Longer than FOR: a rule that matched would be pending, and then firing, by now.
      await new Promise((r) => setTimeout(r, 6_000));
      const active = (await alertsOf(promPort)) ?? [];
      expect([...new Set(active.map((a) => a.labels.alertname))].filter((a) => !absentRules.includes(a!))).toEqual([]);
    }));

  test('the exporter stopped: TargetDown and SiteUnreachable go pending, then firing', () =>
    everySite(async (stack) => {
      const { promPort, nodePort } = stack;
      await stack.processes.stop(stack.nodeExporter!);
      const stateOf = async (alert: string) => (await alertsOf(promPort))?.find((a) => a.labels.alertname === alert);
      const pending = await eventually('TargetDown pending', async () => {
        const a = await stateOf('TargetDown');
        return a?.state === 'pending' ? a : undefined;
      });
      expect(pending.labels).toMatchObject({
        job: NODE_JOB,
        instance: `127.0.0.1:${nodePort}`,
        severity: 'warning',
        component: 'monitoring',
      });
      for (const alert of ['TargetDown', 'SiteUnreachable']) {
        const firing = await eventually(`${alert} firing`, async () => {
          const a = await stateOf(alert);
          return a?.state === 'firing' ? a : undefined;
        });
        expect(firing.labels.severity).toBe(alert === 'TargetDown' ? 'warning' : 'critical');
      }
      expect((await stateOf('SiteUnreachable'))?.labels.target_site).toBe('other');
    }));

  test('the exporter back on its address: both alerts clear', () =>
    everySite(async (stack) => {
      stack.startNodeExporter();
      await eventually('TargetDown and SiteUnreachable cleared', async () => {
        const names = (await alertsOf(stack.promPort))?.map((a) => a.labels.alertname);
        return names && !names.includes('TargetDown') && !names.includes('SiteUnreachable') ? names : undefined;
      });
    }));
});
