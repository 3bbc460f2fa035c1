/** The monitoring stack as rendered for the committed sites, and the real programs that check it. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import type { AlertRule } from '../charts/lib/alerts';
import type { DeclaredComponent } from '../charts/lib/declared';
import { MONITORING_METRIC_NAMES } from '../charts/monitoring/platform-alerts';
import { renderSite, type RenderedSite } from '../pipeline/render';
import { PLATFORM, type Site } from '../sites';
import { REPO_ROOT } from './helpers';

/** Runs a Prometheus tool (promtool, amtool), bounded in time. */
export function run(tool: 'promtool' | 'amtool', args: string[], cwd: string): { status: number; output: string; stdout: string } {
  const r = spawnSync(tool, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
}

/** The rule groups a site's PrometheusRules hold, as a Prometheus rule file reads them. */
export function renderedRuleGroups(rendered: RenderedSite): { name: string; rules: Record<string, unknown>[] }[] {
  const monitoring = rendered.components.find((c) => c.name === 'monitoring')!;
  return monitoring.objects
    .filter((o) => o.kind === 'PrometheusRule')
    .flatMap((o) => (o.spec as { groups: { name: string; rules: Record<string, unknown>[] }[] }).groups);
}

/** A rendered rule as promtool's unit tests load it: annotations left out (promtool compares them, and they are for people). */
export function withoutAnnotations(rule: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(rule).filter(([key]) => key !== 'annotations'));
}

/** Every site rendered once for the monitoring tests. */
export function renderAll(sites: readonly Site[] = PLATFORM.sites): RenderedSite[] {
  return sites.map((s) => renderSite(s, PLATFORM));
}

/** The metric names a PromQL expression selects; throws on a syntax error. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const cursor = parser.parse(expr).cursor();
  do {
    if (cursor.type.isError) throw new Error(`PromQL syntax error in ${JSON.stringify(expr)} at ${cursor.from}`);
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') names.add(expr.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return [...names].sort();
}

/** Every metric name some component declares it exposes (and those of the stack's own exporters). */
export function declaredMetrics(components: readonly DeclaredComponent[]): Set<string> {
  return new Set([...MONITORING_METRIC_NAMES, ...components.flatMap((c) => c.declarations.metrics.flatMap((m) => m.metrics ?? []))]);
}

/** What is wrong with an alert: metrics nobody declares, a runbook that does not exist. */
export function alertProblems(rule: Pick<AlertRule, 'name' | 'expr' | 'runbook'>, declared: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const name of metricNames(rule.expr))
    if (!declared.has(name)) problems.push(`${rule.name}: metric ${name} is declared by no component`);
  problems.push(...runbookProblems(rule.name, rule.runbook));
  return problems;
}

/** A runbook link must name a file under docs/ that exists and, with `#anchor`, a heading of it. */
export function runbookProblems(owner: string, runbook: string | undefined): string[] {
  if (!runbook) return [`${owner}: no runbook`];
  const [file, anchor] = runbook.split('#') as [string, string | undefined];
  if (!file.startsWith('docs/')) return [`${owner}: runbook ${runbook} is not under docs/`];
  const full = path.join(REPO_ROOT, file);
  if (!fs.existsSync(full)) return [`${owner}: runbook ${file} does not exist`];
  if (anchor === undefined) return [];
  const anchors = fs
    .readFileSync(full, 'utf8')
    .split('\n')
    .filter((l) => /^#+ /.test(l))
    .map((l) =>
      l
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );
  return anchors.includes(anchor) ? [] : [`${owner}: runbook ${file} has no heading #${anchor}`];
}
