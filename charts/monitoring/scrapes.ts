/**
 * The monitoring view: once every component is built, what they declared becomes the site's
 * scrapes and alerts, in the monitoring component's directory (its Application installs the CRDs
 * they need): a PodMonitor per declared metrics endpoint, a PrometheusRule per component with
 * alerts, one for the health signals, and the blackbox Probes of the sites it watches
 * (charts/monitoring/watchers.ts) and of the public routes. Nothing here lists a component by hand.
 */
import {
  PodMonitor,
  PodMonitorSpecPodMetricsEndpointsRelabelingsAction as Relabel,
  Probe,
  PrometheusRule,
  PrometheusRuleSpecGroupsRulesExpr as Expr,
} from '../../imports/monitoring-monitoring.coreos.com';
import type { Site } from '../../sites';
import { isPublicHost, normalizePrefix } from '../contour/route-proxy';
import { scrapeJob, type AlertRule } from '../lib/alerts';
import type { DeclaredComponent } from '../lib/declared';
import type { HealthSignal } from '../lib/resilience';
import { commonLabels } from '../lib/labels';
import { PG_PORT, runsPostgres } from '../postgres/spec';
import { BLACKBOX_MODULES, BLACKBOX_PORT } from './blackbox';
import { renderDashboards } from './dashboards';
import type { MonitoringComponent } from './monitoring';
import { PROBE_KIND } from './platform-alerts';
import { watchedSiteModels } from '../lib/watchers';
import { healthSignalMetric } from './sql-exporter';

/** Whether `site` holds the PostgreSQL primary, whose Service takes its fixed database address. */
const servesPrimary = (site: Site): boolean => site.database.role === 'primary' && runsPostgres(site);

/** A health signal as an alert rule, with the proof its threshold implies. */
export function healthSignalAlert(signal: HealthSignal): AlertRule {
  const metric = healthSignalMetric(signal);
  const { comparison, threshold } = signal.unhealthyWhen;
  const series = `${metric}{instance="keeper-0"}`;
  return {
    name: signal.name,
    // Absent when no exporter can run the signal's query (the database unreachable from it): as
    // unhealthy as the threshold crossed, or the alert would stay silent exactly then.
    expr: `${metric} ${comparison === 'below' ? '<' : '>'} ${threshold} or absent(${metric})`,
    for: signal.for,
    severity: signal.severity,
    summary: signal.summary,
    runbook: signal.runbook,
    proof: {
      failing: [{ series, values: `${comparison === 'below' ? threshold - 1 : threshold + 1}x30` }],
      healthy: [{ series, values: `${threshold}x30` }],
      at: '30m',
      labels: { instance: 'keeper-0' },
    },
  };
}

/** The link an alert's `runbook_url` gives: the runbook in the site's git repository at its revision. */
export function runbookUrl(site: Site, runbook: string): string {
  return `${site.gitops.repoUrl.replace(/\.git$/, '')}/-/blob/${site.gitops.revision}/${runbook}`;
}

/** The rule groups of a site, one per component with alerts (and one for the health signals), as PrometheusRule groups. */
export function ruleGroups(components: readonly DeclaredComponent[]): { name: string; rules: AlertRule[] }[] {
  const groups = components
    .filter((c) => c.declarations.alerts.length > 0)
    .map((c) => ({ name: c.name, rules: [...c.declarations.alerts] }));
  const signals = components.flatMap((c) => c.declarations.healthSignals.map((s) => ({ component: c.name, signal: s })));
  for (const { component, signal } of signals) {
    const group = groups.find((g) => g.name === component) ?? groups[groups.push({ name: component, rules: [] }) - 1]!;
    group.rules.push(healthSignalAlert(signal));
  }
  return groups;
}

/** A rule as Prometheus reads it (the same object goes to the PrometheusRule and to promtool). */
export function renderedRule(site: Site, component: string, rule: AlertRule): Record<string, unknown> {
  return {
    alert: rule.name,
    expr: rule.expr,
    for: rule.for,
    labels: { severity: rule.severity, component },
    annotations: { summary: rule.summary, runbook_url: runbookUrl(site, rule.runbook) },
  };
}

/** The URLs of every public HTTPS route the components declare (the probes' targets, the status page's panels). */
export function publicRouteUrls(site: Site, sites: readonly Site[], components: readonly DeclaredComponent[]): string[] {
  const urls = components.flatMap((c) =>
    c.declarations.routes
      .filter((r) => isPublicHost(site, sites, r.host) && r.tls !== false && !r.header)
      .map((r) => `https://${r.host}${normalizePrefix(r.pathPrefix)}`),
  );
  return [...new Set(urls)].sort();
}

/** Renders the site's scrapes, rules, probes and dashboards into the monitoring component. */
export function renderMonitoring(monitoring: MonitoringComponent, components: readonly DeclaredComponent[]): void {
  renderDashboards(monitoring, components);
  const { site, sites } = monitoring;
  const namespace = monitoring.namespace!;
  const labels = commonLabels(monitoring.componentName);
  for (const c of components) {
    for (const m of c.declarations.metrics) {
      const job = scrapeJob(m.pods);
      new PodMonitor(monitoring, `scrape-${c.name}-${job}-${m.port}`, {
        metadata: { name: `${job}-${m.port}`, namespace, labels },
        spec: {
          selector: { matchLabels: { ...m.pods.podLabels } },
          namespaceSelector: { matchNames: [m.pods.namespace] },
          podMetricsEndpoints: [
            {
              portNumber: m.port,
              path: m.path ?? '/metrics',
              relabelings: [
                { action: Relabel.REPLACE, targetLabel: 'job', replacement: job },
                { action: Relabel.REPLACE, targetLabel: 'component', replacement: c.name },
              ],
            },
          ],
        },
      });
    }
  }
  for (const group of ruleGroups(components)) {
    new PrometheusRule(monitoring, `rules-${group.name}`, {
      metadata: { name: `${group.name}-alerts`, namespace, labels },
      spec: {
        groups: [
          {
            name: group.name,
            rules: group.rules.map((r) => {
              const { expr, ...rest } = renderedRule(site, group.name, r);
              return { ...rest, expr: Expr.fromString(String(expr)) };
            }),
          },
        ],
      },
    });
  }
  const prober = { url: `${monitoring.blackbox.pods.serviceName}.${namespace}.svc:${BLACKBOX_PORT}` };
  for (const other of watchedSiteModels(site, sites)) {
    const { fixed } = other.loadBalancer;
    new Probe(monitoring, `probe-site-${other.name}`, {
      metadata: { name: `site-${other.name}`, namespace, labels },
      spec: {
        jobName: `site-${other.name}`,
        module: BLACKBOX_MODULES.tcp,
        prober,
        interval: '30s',
        targets: {
          staticConfig: {
            // The database address answers only where the primary's Service takes it.
            static: [`${fixed.ingress}:443`, ...(servesPrimary(other) ? [`${fixed.database}:${PG_PORT}`] : [])],
            labels: { probe: PROBE_KIND.site, target_site: other.name },
          },
        },
      },
    });
  }
  const routes = publicRouteUrls(site, sites, components);
  if (routes.length > 0) {
    new Probe(monitoring, 'probe-public-routes', {
      metadata: { name: 'public-routes', namespace, labels },
      spec: {
        jobName: 'public-routes',
        module: BLACKBOX_MODULES.https,
        prober,
        interval: '60s',
        targets: { staticConfig: { static: routes, labels: { probe: PROBE_KIND.route } } },
      },
    });
  }
}
