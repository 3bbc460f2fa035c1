/**
 * The site's Grafana dashboards, derived from what components declare, built with Grafana's
 * foundation SDK and provisioned as ConfigMaps the Grafana sidecar loads: one per component with
 * metrics or alerts (its targets, each metric it declares, each alert's expression), one for the
 * nodes, an overview (this site's view of the others, firing alerts) and the status page (one
 * panel per public route every component declares). Panels read only declared metrics.
 */
import { k8s } from 'cdk8s-plus-28';
import type * as DashboardSdk from '@grafana/grafana-foundation-sdk/dist/dashboard'; // types only: moduleResolution 'node' reads no exports map
import type * as PrometheusSdk from '@grafana/grafana-foundation-sdk/dist/prometheus'; // types only: moduleResolution 'node' reads no exports map
import type * as StatSdk from '@grafana/grafana-foundation-sdk/dist/stat'; // types only: moduleResolution 'node' reads no exports map
import type * as TimeseriesSdk from '@grafana/grafana-foundation-sdk/dist/timeseries'; // types only: moduleResolution 'node' reads no exports map
import type { Site } from '../../sites';
import type { DeclaredComponent } from '../lib/declared';
import { commonLabels } from '../lib/labels';
import { DASHBOARD_LABEL, type MonitoringComponent } from './monitoring';
import { MONITORING_METRICS, PROBE_KIND } from './platform-alerts';
import { healthSignalAlert, publicRouteUrls } from './scrapes';

interface Sdk {
  readonly dashboard: typeof DashboardSdk;
  readonly prometheus: typeof PrometheusSdk;
  readonly stat: typeof StatSdk;
  readonly timeseries: typeof TimeseriesSdk;
}

/** Loads the SDK on first use only (a plain require, kept out of the synth bundle's start-up). */
function loadSdk(): Sdk {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    dashboard: require('@grafana/grafana-foundation-sdk/dashboard') as typeof DashboardSdk,
    prometheus: require('@grafana/grafana-foundation-sdk/prometheus') as typeof PrometheusSdk,
    stat: require('@grafana/grafana-foundation-sdk/stat') as typeof StatSdk,
    timeseries: require('@grafana/grafana-foundation-sdk/timeseries') as typeof TimeseriesSdk,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** The Prometheus datasource kube-prometheus-stack provisions (`grafana.sidecar.datasources.uid`). */
const DATASOURCE = { type: 'prometheus', uid: 'prometheus' };

/** A panel: a query, how it is drawn and what it says. */
export interface PanelSpec {
  readonly title: string;
  readonly expr: string;
  readonly kind: 'stat' | 'timeseries';
  readonly legend?: string;
  readonly description?: string;
  readonly unit?: string;
}

/** A dashboard before the SDK builds it. */
export interface DashboardSpec {
  readonly name: string;
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

/** A panel per declared metric: counters as rates, everything else as it is, per scrape job. */
function metricPanel(component: string, metric: string): PanelSpec {
  const selector = `${metric}{component="${component}"}`;
  return metric.endsWith('_total')
    ? { title: `${metric} per second`, expr: `sum by (job) (rate(${selector}[5m]))`, kind: 'timeseries', legend: '{{job}}' }
    : { title: metric, expr: `sum by (job) (${selector})`, kind: 'timeseries', legend: '{{job}}' };
}

/** The dashboards of a site, from its components' declarations. */
export function dashboardSpecs(site: Site, sites: readonly Site[], components: readonly DeclaredComponent[]): DashboardSpec[] {
  const perComponent = components
    .filter((c) => c.declarations.metrics.length > 0 || c.declarations.alerts.length > 0)
    .map((c) => {
      const metrics = [...new Set(c.declarations.metrics.flatMap((m) => m.metrics ?? []))];
      const alerts = [...c.declarations.alerts, ...c.declarations.healthSignals.map(healthSignalAlert)];
      return {
        name: c.name,
        title: `${site.name} / ${c.name}`,
        panels: [
          ...(c.declarations.metrics.length > 0
            ? [{ title: 'Targets up', expr: `sum by (job) (up{component="${c.name}"})`, kind: 'stat' as const, legend: '{{job}}' }]
            : []),
          ...metrics.map((m) => metricPanel(c.name, m)),
          ...alerts.map((a) => ({ title: `Alert ${a.name}`, expr: a.expr, kind: 'timeseries' as const, description: a.summary })),
        ],
      };
    });
  const routes = publicRouteUrls(site, sites, components);
  const n = MONITORING_METRICS.nodeExporter;
  return [
    {
      name: 'overview',
      title: `${site.name} / overview`,
      panels: [
        {
          title: 'Other sites reachable from here',
          expr: `max by (target_site) (probe_success{probe="${PROBE_KIND.site}"})`,
          kind: 'stat',
          legend: '{{target_site}}',
        },
        { title: 'Public routes answering', expr: `probe_success{probe="${PROBE_KIND.route}"}`, kind: 'stat', legend: '{{instance}}' },
        {
          title: 'Firing alerts by severity',
          expr: 'count by (severity) (ALERTS{alertstate="firing"})',
          kind: 'stat',
          legend: '{{severity}}',
        },
        { title: 'Targets up by component', expr: 'sum by (component) (up)', kind: 'stat', legend: '{{component}}' },
      ],
    },
    {
      name: 'status',
      title: `${site.name} / status of the public routes`,
      panels: routes.map((url) => ({
        title: url,
        expr: `probe_success{probe="${PROBE_KIND.route}",instance="${url}"}`,
        kind: 'stat' as const,
        description: 'Answered through the edge in the last probe (1: up, 0: down)',
      })),
    },
    {
      name: 'nodes',
      title: `${site.name} / nodes`,
      panels: [
        { title: 'Ready', expr: 'kube_node_status_condition{condition="Ready",status="true"}', kind: 'stat', legend: '{{node}}' },
        { title: 'Load (1 min)', expr: `${n[2]}`, kind: 'timeseries', legend: '{{instance}}' },
        { title: 'Memory available', expr: `${n[3]}`, kind: 'timeseries', legend: '{{instance}}', unit: 'bytes' },
        {
          title: 'Root filesystem free',
          expr: `${n[0]}{mountpoint="/"} / ${n[1]}{mountpoint="/"}`,
          kind: 'timeseries',
          legend: '{{instance}}',
          unit: 'percentunit',
        },
      ],
    },
    ...perComponent,
  ];
}

/** The dashboard JSON Grafana loads, built with the SDK. */
export function dashboardJson(spec: DashboardSpec, sdk: Sdk = loadSdk()): Record<string, unknown> {
  const board = new sdk.dashboard.DashboardBuilder(spec.title)
    .uid(`platform-${spec.name}`)
    .tags(['platform'])
    .refresh('1m')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('utc');
  for (const p of spec.panels) {
    const query = new sdk.prometheus.DataqueryBuilder().expr(p.expr).legendFormat(p.legend ?? '__auto');
    const panel = p.kind === 'stat' ? new sdk.stat.PanelBuilder() : new sdk.timeseries.PanelBuilder();
    panel
      .title(p.title)
      .datasource(DATASOURCE)
      .withTarget(query)
      .height(p.kind === 'stat' ? 4 : 8)
      .span(p.kind === 'stat' ? 6 : 12);
    if (p.description) panel.description(p.description);
    if (p.unit) panel.unit(p.unit);
    board.withPanel(panel);
  }
  return board.build() as unknown as Record<string, unknown>;
}

/** Renders the dashboards as ConfigMaps Grafana's sidecar loads. */
export function renderDashboards(monitoring: MonitoringComponent, components: readonly DeclaredComponent[]): void {
  const sdk = loadSdk();
  for (const spec of dashboardSpecs(monitoring.site, monitoring.sites, components)) {
    new k8s.KubeConfigMap(monitoring, `dashboard-${spec.name}`, {
      metadata: {
        name: `dashboard-${spec.name}`,
        namespace: monitoring.namespace,
        labels: { ...commonLabels(monitoring.componentName), [DASHBOARD_LABEL]: '1' },
      },
      data: { [`${spec.name}.json`]: JSON.stringify(dashboardJson(spec, sdk), null, 2) },
    });
  }
}
