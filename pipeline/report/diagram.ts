/**
 * The platform as a Mermaid architecture diagram, from the model: one group per site with its
 * data paths on their floating addresses, the edge in front, and the links between the sites
 * (database replication, the bus's leafnode link). Rendered into gitops/README.md and
 * gitops/REPORT.md on every synth; test/report-diagram.test.ts parses every block with
 * @mermaid-js/parser.
 */
import { COMPONENT } from '../../model/components';
import type { EdgeProxy, Site } from '../../sites';
import { publicTrafficSites, type SiteFailureFacts } from './failures';

/** A Mermaid identifier from a name (letters, digits and `_` only). */
const id = (...parts: string[]) => parts.join('_').replace(/[^A-Za-z0-9_]/g, '_');

/** Text safe inside `[...]` (a title may not close the bracket). */
const title = (text: string) => text.replace(/[[\]]/g, '');

/** The components drawn as their own box; the others share one box per site. */
const DRAWN: readonly string[] = [COMPONENT.contour, COMPONENT.resizer, COMPONENT.bus, COMPONENT.postgres, COMPONENT.objectStore];

function siteBlock(facts: SiteFailureFacts): string[] {
  const { site } = facts;
  const names = new Set(facts.components.map((c) => c.name));
  const g = id(site.name);
  const { fixed } = site.loadBalancer;
  const lines = [`  group ${g}(cloud)[${title(`${site.name} ${site.location}, ${site.nodes.length} nodes`)}]`];
  const service = (name: string, icon: string, text: string) =>
    lines.push(`  service ${id(site.name, name)}(${icon})[${title(text)}] in ${g}`);
  if (names.has(COMPONENT.contour)) service(COMPONENT.contour, 'internet', `ingress Envoy ${fixed.ingress}`);
  if (names.has(COMPONENT.resizer)) service(COMPONENT.resizer, 'server', 'resizer API and workers');
  if (names.has(COMPONENT.bus)) service(COMPONENT.bus, 'disk', `bus JetStream R3, ${site.bus.role} ${fixed.bus}`);
  if (names.has(COMPONENT.postgres)) service(COMPONENT.postgres, 'database', `PostgreSQL ${site.database.role} ${fixed.database}`);
  if (names.has(COMPONENT.objectStore)) service(COMPONENT.objectStore, 'disk', `object store ${site.objectStore.kind}`);
  const others = facts.components.map((c) => c.name).filter((n) => !DRAWN.includes(n));
  if (others.length > 0) service('platform', 'server', others.join(', '));
  return lines;
}

function edgeLabel(edge: EdgeProxy, site: Site, all: readonly Site[]): string {
  if (edge.split.mode === 'weighted') return `weight ${edge.split.weights[site.name] ?? 0}, PROXY v2`;
  const active = publicTrafficSites(edge, all, new Set());
  return active.includes(site.name) ? 'active, PROXY v2' : 'backup, PROXY v2';
}

/** The Mermaid source (without the fence) of the platform's sites, the edge and the links between them. */
export function platformDiagram(sites: readonly SiteFailureFacts[], edge: EdgeProxy): string {
  const all = sites.map((s) => s.site);
  const lines = ['architecture-beta', `  service edge(internet)[${title(`edge proxy ${edge.name} ${edge.ipv4} ${edge.ipv6}`)}]`];
  for (const s of sites) lines.push(...siteBlock(s));
  const has = (s: SiteFailureFacts, name: string) => s.components.some((c) => c.name === name);
  for (const s of sites) {
    if (!has(s, COMPONENT.contour) || s.site.dns.servesPublicDomain === false) continue;
    lines.push(`  edge:R -[${title(edgeLabel(edge, s.site, all))}]-> L:${id(s.site.name, COMPONENT.contour)}`);
  }
  const primary = sites.find((s) => s.site.database.role === 'primary' && has(s, COMPONENT.postgres));
  for (const s of sites.filter((x) => x !== primary && has(x, COMPONENT.postgres))) {
    if (primary)
      lines.push(`  ${id(primary.site.name, COMPONENT.postgres)}:L -[WAL streaming TLS]-> R:${id(s.site.name, COMPONENT.postgres)}`);
  }
  const hub = sites.find((s) => s.site.bus.role === 'hub' && has(s, COMPONENT.bus));
  for (const s of sites.filter((x) => x !== hub && has(x, COMPONENT.bus))) {
    if (hub) lines.push(`  ${id(s.site.name, COMPONENT.bus)}:R -[leafnode link TLS]-> L:${id(hub.site.name, COMPONENT.bus)}`);
  }
  return lines.join('\n');
}

/** A fenced Mermaid block. */
export const mermaidBlock = (source: string): string => ['```mermaid', source, '```'].join('\n');
