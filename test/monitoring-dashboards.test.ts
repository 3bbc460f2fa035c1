/**
 * The dashboards every site renders: one per component with metrics or alerts, the nodes, an
 * overview and the status page of the public routes; every query parses and names only metrics a
 * component declares (an unknown one is found).
 */
import { DASHBOARD_LABEL } from '../charts/monitoring/monitoring';
import { metricNames, declaredMetrics, renderAll } from './monitoring-helpers';
import type { RenderedSite } from '../pipeline/render';

const rendered = renderAll();

/** The dashboards of a site as Grafana loads them, by file name. */
function dashboards(site: RenderedSite): Map<string, { panels: { title: string; targets: { expr: string }[] }[] }> {
  const monitoring = site.components.find((c) => c.name === 'monitoring')!;
  const maps = monitoring.objects.filter(
    (o) => o.kind === 'ConfigMap' && (o.metadata.labels as Record<string, string> | undefined)?.[DASHBOARD_LABEL] === '1',
  );
  return new Map(maps.flatMap((m) => Object.entries(m.data as Record<string, string>).map(([file, json]) => [file, JSON.parse(json)])));
}

/** Queries of the dashboards naming a metric nobody declares. */
function unknownMetrics(boards: ReturnType<typeof dashboards>, declared: ReadonlySet<string>): string[] {
  return [...boards].flatMap(([file, board]) =>
    board.panels.flatMap((p) =>
      p.targets.flatMap((t) =>
        metricNames(t.expr)
          .filter((m) => !declared.has(m))
          .map((m) => `${file} / ${p.title}: ${m}`),
      ),
    ),
  );
}

describe.each(rendered.map((r) => [r.site.name, r] as const))('site %s', (_name, site) => {
  const boards = dashboards(site);

  test('a dashboard per component with metrics, the nodes, an overview and the status page', () => {
    expect([...boards.keys()]).toEqual(
      expect.arrayContaining(['overview.json', 'status.json', 'nodes.json', 'postgres.json', 'bus.json', 'resizer.json', 'contour.json']),
    );
  });

  test('the status page has a panel per public route the components declare', () => {
    const titles = boards.get('status.json')!.panels.map((p) => p.title);
    expect(titles).toContain('https://images.chataik.fr/');
    expect(titles.every((t) => t.startsWith('https://'))).toBe(true);
  });

  test('every query names only declared metrics', () => {
    expect(unknownMetrics(boards, declaredMetrics(site.components))).toEqual([]);
  });

  test('an unknown metric in a dashboard is found', () => {
    const broken = new Map(boards);
    broken.set('broken.json', { panels: [{ title: 'Imaginary', targets: [{ expr: 'rate(envoy_imaginary_total[5m])' }] }] });
    expect(unknownMetrics(broken, declaredMetrics(site.components))).toEqual(['broken.json / Imaginary: envoy_imaginary_total']);
  });
});
