/**
 * The failure view: for the loss of each node, each site, the link between the sites, the edge
 * proxy and the primary database, the state of every component on every site with its reason,
 * derived from what the components state (charts/lib/resilience.ts), the site model and the
 * capacity check's placement after each node loss. Plain data in, plain data out: the report
 * (REPORT.md), the rehearsal and the tests read it.
 */
import { servesPublicDomain } from '../../charts/edge/haproxy';
import { healthQuestion } from '../../charts/edge/health';
import type { RenderedSite } from '../render';
import { COMPONENT } from '../../model/components';
import {
  unaffected,
  worseImpact,
  type FailureBehaviour,
  type FailureImpact,
  type StatefulWorkloadResilience,
} from '../../charts/lib/resilience';
import type { Finding } from '../../model/errors';
import type { EdgeProxy, Site } from '../../sites';
import type { CapacityReport } from '../validate/capacity';

/** What the failure view needs of one component. */
export interface ComponentFailureFacts {
  readonly name: string;
  /** What it stated; undefined: it stated nothing (`unknown`). */
  readonly behaviour?: FailureBehaviour;
  readonly stateful: readonly StatefulWorkloadResilience[];
}

/** What the failure view needs of one site: plain data, kept after the site's render is dropped. */
export interface SiteFailureFacts {
  readonly site: Site;
  readonly components: readonly ComponentFailureFacts[];
  /** The capacity check's placement: every node up, after each node's loss, autoscalers at maximum. */
  readonly capacity: Pick<CapacityReport, 'scenarios'>;
}

/** A failure the report considers. */
export type Failure =
  | { readonly kind: 'node'; readonly site: string; readonly node: string }
  | { readonly kind: 'site'; readonly site: string }
  | { readonly kind: 'link' }
  | { readonly kind: 'edge' }
  | { readonly kind: 'database-primary'; readonly site: string };

/** A component's state in one failure; `unknown` when it stated nothing. */
export interface ComponentOutcome {
  readonly site: string;
  readonly component: string;
  readonly impact: FailureImpact | { readonly state: 'unknown'; readonly reason: string; readonly loses?: undefined };
}

/** What one failure does to the platform. */
export interface FailureOutcome {
  readonly failure: Failure;
  /** One line, for people: `node chataalk-balzac of cluster1`. */
  readonly title: string;
  /** Every component of every site concerned (a node loss: its own site's; the others are up). */
  readonly components: readonly ComponentOutcome[];
  /** Which sites take public traffic from the edge meanwhile (none: public traffic stops). */
  readonly publicTraffic: readonly string[];
  /** Where writes to the database are accepted meanwhile, and where reads are served. */
  readonly database: { readonly writes: readonly string[]; readonly reads: readonly string[] };
  /** The capacity left: the fullest node's requests against allocatable, after a node loss. */
  readonly capacityLeft?: string;
}

/**
 * Equal plain data kept once, by its JSON text: most components state the same about every site,
 * what every site states is kept until the report is rendered, and a copy posted by a render
 * thread is a new object even when equal to one kept before.
 */
export class KeptOnce {
  private readonly known = new Map<string, unknown>();

  once<T>(value: T): T {
    const key = JSON.stringify(value);
    const known = this.known.get(key) as T | undefined;
    if (known !== undefined) return known;
    this.known.set(key, value);
    return value;
  }
}

/**
 * The facts of one rendered site, given its capacity report (the validation's, or computed): of
 * the placements, only those after a node loss, which the report reads.
 */
export function siteFailureFacts(rendered: RenderedSite, capacity: Pick<CapacityReport, 'scenarios'>, table?: KeptOnce): SiteFailureFacts {
  const components = componentFailureFacts(rendered);
  return {
    site: rendered.site,
    components: table ? components.map((c) => table.once(c)) : components,
    capacity: { scenarios: capacity.scenarios.filter((s) => s.lostNode !== undefined) },
  };
}

/** What each rendered component states about how it fails. */
export function componentFailureFacts(rendered: RenderedSite): ComponentFailureFacts[] {
  return rendered.components.map((c) => ({ name: c.name, behaviour: c.declarations.failure[0], stateful: c.declarations.resilience }));
}

/**
 * A component's behaviour: what it stated, or, for one that stated only its stateful workloads
 * (the vocabulary before FailureBehaviour), what those imply; undefined when it stated nothing.
 */
export function behaviourOf(c: ComponentFailureFacts): FailureBehaviour | undefined {
  if (c.behaviour) return c.behaviour;
  if (c.stateful.length === 0) return undefined;
  const otherSites = c.stateful.flatMap((w) => w.dependencies.filter((d) => d.on.startsWith('site:')));
  const otherSiteLoss =
    otherSites.length > 0 ? { state: 'degraded' as const, reason: otherSites.map((d) => d.whenLost).join('; ') } : undefined;
  return {
    serves: c.stateful.map((w) => w.workload).join(', '),
    nodeLoss: unaffected('stated per stateful workload'),
    ...(otherSiteLoss ? { otherSiteLoss, otherSites: otherSites.map((d) => d.on.slice('site:'.length)) } : {}),
  };
}

/** Every component that states nothing about how it fails: a validation finding each. */
export function unknownFailureFindings(facts: Pick<SiteFailureFacts, 'site' | 'components'>): Finding[] {
  return facts.components
    .filter((c) => behaviourOf(c) === undefined)
    .map((c) => ({
      site: facts.site.name,
      component: c.name,
      field: 'declareFailureBehaviour',
      message:
        'states nothing about how it fails, so the failure report can only say "unknown": call this.declareFailureBehaviour({ serves, nodeLoss, ... }) in its chart (charts/lib/resilience.ts)',
    }));
}

/** Every failure of the model, in report order: nodes, sites, the link, the edge, the primary database. */
export function failuresOf(sites: readonly SiteFailureFacts[]): Failure[] {
  const primary = sites.find((s) => s.site.database.role === 'primary');
  return [
    ...sites.flatMap((s) => s.site.nodes.map((n) => ({ kind: 'node' as const, site: s.site.name, node: n.name }))),
    ...sites.map((s) => ({ kind: 'site' as const, site: s.site.name })),
    ...(sites.length > 1 ? [{ kind: 'link' as const }] : []),
    { kind: 'edge' as const },
    ...(primary ? [{ kind: 'database-primary' as const, site: primary.site.name }] : []),
  ];
}

export function failureTitle(f: Failure): string {
  switch (f.kind) {
    case 'node':
      return `node ${f.node} of ${f.site}`;
    case 'site':
      return `site ${f.site}`;
    case 'link':
      return 'the link between the sites';
    case 'edge':
      return 'the edge proxy';
    case 'database-primary':
      return `the primary database (${f.site})`;
  }
}

/** What a component that states nothing about a failure gets: up, unaffected (the report lists these in one line). */
const UNAFFECTED = {
  otherSite: unaffected('needs nothing from another site'),
  edge: unaffected('takes no traffic through the edge'),
  database: unaffected('does not use the database'),
} as const;

/** Whether an outcome is one of the defaults above (or no component's statement at all). */
export function isDefaultOutcome(c: ComponentOutcome): boolean {
  return Object.values(UNAFFECTED).includes(c.impact as FailureImpact);
}

/** What a node loss does to a stateful workload whose member waits on the lost node. */
function memberLost(w: StatefulWorkloadResilience): FailureImpact {
  const left = w.members - 1;
  const kept = left >= w.quorum;
  const risk =
    w.memberLoss.writesAtRisk === 'none' ? undefined : 'if it held the leader: writes acknowledged but not yet copied to another member';
  return {
    state: kept ? 'degraded' : 'down',
    reason:
      `${w.workload}: ${left} of ${w.members} members up, quorum ${w.quorum} ${kept ? 'kept' : 'lost'}; ` +
      `the lost member's copy is on its node and waits for it` +
      (w.memberLoss.service === 'fails-over' ? ` (a leader on it is usually replaced within ${w.memberLoss.recoverySeconds} s)` : ''),
    ...(risk ? { loses: risk } : {}),
  };
}

function nodeImpact(site: SiteFailureFacts, c: ComponentFailureFacts, behaviour: FailureBehaviour, node: string): FailureImpact {
  let impact = behaviour.nodeLoss;
  const scenario = site.capacity.scenarios.find((s) => s.lostNode === node);
  for (const w of c.stateful) {
    if (scenario?.waiting.includes(`${c.name}: ${w.workload}`)) impact = worseImpact(impact, memberLost(w));
  }
  const unplaced = (scenario?.unplaced ?? []).filter((g) => g.startsWith(`${c.name}: `));
  if (unplaced.length > 0) {
    impact = worseImpact(impact, {
      state: 'degraded',
      reason: `${unplaced.length} pod(s) fit on no node left (${[...new Set(unplaced.map((g) => g.slice(c.name.length + 2)))].join(', ')})`,
    });
  }
  return impact;
}

/** A component of the lost site: down; its data waits on the site, except what another site never received. */
function siteLost(c: ComponentFailureFacts, behaviour: FailureBehaviour): FailureImpact {
  const data = c.stateful.map((w) => `${w.workload}'s ${w.copies.count} copies wait on the site's nodes`);
  const loses = behaviour.databasePrimaryLoss?.loses;
  return { state: 'down', reason: ['the site is lost', ...data].join('; '), ...(loses ? { loses } : {}) };
}

function ownImpact(f: Failure, site: SiteFailureFacts, c: ComponentFailureFacts, behaviour: FailureBehaviour): FailureImpact {
  const here = site.site.name;
  switch (f.kind) {
    case 'node':
      return nodeImpact(site, c, behaviour, f.node);
    case 'site':
      if (f.site === here) return siteLost(c, behaviour);
      return behaviour.otherSiteLoss && (behaviour.otherSites?.includes(f.site) ?? true) ? behaviour.otherSiteLoss : UNAFFECTED.otherSite;
    case 'link':
      return behaviour.linkLoss ?? behaviour.otherSiteLoss ?? UNAFFECTED.otherSite;
    case 'edge':
      return behaviour.edgeLoss ?? UNAFFECTED.edge;
    case 'database-primary':
      return behaviour.databasePrimaryLoss ?? UNAFFECTED.database;
  }
}

/** The states of one site's components in a failure, with what they need from each other applied. */
function siteOutcomes(f: Failure, site: SiteFailureFacts): ComponentOutcome[] {
  const impacts = new Map<string, FailureImpact | undefined>();
  for (const c of site.components) {
    const behaviour = behaviourOf(c);
    impacts.set(c.name, behaviour && ownImpact(f, site, c, behaviour));
  }
  // A component needing one that is down is at most what it states for that case; repeated until
  // nothing changes, so that needs chain.
  for (let changed = true; changed;) {
    changed = false;
    for (const c of site.components) {
      const current = impacts.get(c.name);
      if (!current) continue;
      let next = current;
      for (const need of behaviourOf(c)?.needs ?? []) {
        if (impacts.get(need.component)?.state === 'down') {
          next = worseImpact(next, { ...need.whenDown, reason: `${need.component} is down: ${need.whenDown.reason}` });
        }
      }
      if (next !== current) {
        impacts.set(c.name, next);
        changed = true;
      }
    }
  }
  return site.components.map((c) => ({
    site: site.site.name,
    component: c.name,
    impact: impacts.get(c.name) ?? { state: 'unknown', reason: 'states nothing about how it fails' },
  }));
}

/**
 * The sites that take public traffic when `down` are down and the sites in `failingHealth` are up
 * but fail the edge's health question (charts/edge/health.ts): the split over the sites that pass
 * it; when none does, the split over every site still up (the edge's last resort); none without
 * the edge.
 */
export function publicTrafficSites(
  edge: EdgeProxy,
  sites: readonly Site[],
  down: ReadonlySet<string>,
  edgeDown = false,
  failingHealth: ReadonlySet<string> = new Set(),
): string[] {
  if (edgeDown) return [];
  const up = sites.filter((s) => servesPublicDomain(s) && !down.has(s.name));
  const healthy = up.filter((s) => !failingHealth.has(s.name));
  return splitOver(edge, healthy.length > 0 ? healthy : up);
}

function splitOver(edge: EdgeProxy, candidates: readonly Site[]): string[] {
  if (edge.split.mode === 'active-backup') {
    const { active } = edge.split;
    const activeUp = candidates.find((s) => s.name === active);
    return activeUp ? [activeUp.name] : candidates.map((s) => s.name);
  }
  const { weights } = edge.split;
  return candidates.filter((s) => (weights[s.name] ?? 0) > 0).map((s) => s.name);
}

/**
 * The sites, up in a failure, whose component answering the edge's health question is down in it
 * (one pass over the failure's components: a failure costs what it concerns, not the sites). The
 * question fails when no pod of that component is Ready on the site (`down`: does not serve);
 * a `degraded` one serves, a short interruption the readiness probes ride out included, and
 * keeps the site in the split.
 */
function failingEdgeHealth(index: FailureIndex, down: ReadonlySet<string>, components: readonly ComponentOutcome[]): Set<string> {
  const failing = new Set<string>();
  for (const c of components) {
    if (c.impact.state !== 'down' || down.has(c.site)) continue;
    const site = index.models[index.position.get(c.site) ?? -1];
    if (site && healthQuestion(site).component === c.component) failing.add(c.site);
  }
  return failing;
}

function fullestNode(scenario: CapacityReport['scenarios'][number]): string {
  const pct = (used: number, total: number) => (total > 0 ? Math.round((used / total) * 100) : 0);
  const cpu = Math.max(...scenario.nodes.map((n) => pct(n.cpuMillis, n.cpuAllocatable)));
  const memory = Math.max(...scenario.nodes.map((n) => pct(n.memoryMiB, n.memoryAllocatable)));
  return `fullest node at ${cpu}% CPU, ${memory}% memory of allocatable`;
}

/**
 * What the failure view reads across sites, computed once for all failures: so that each failure
 * costs what it concerns, not the number of sites.
 */
export interface FailureIndex {
  readonly sites: readonly SiteFailureFacts[];
  /** Their models, in the same order. */
  readonly models: readonly Site[];
  /** The database primary's name, if a site is it. */
  readonly primary?: string;
  /** Sites with a PostgreSQL component, in model order. */
  readonly postgresSites: readonly string[];
  /** Lost site -> the other sites with a component stating something about that loss (otherSites). */
  readonly concernedBy: ReadonlyMap<string, ReadonlySet<string>>;
  /** Sites with a component stating something about the loss of any other site (no otherSites). */
  readonly concernedByAny: ReadonlySet<string>;
  /** Model order of each site. */
  readonly position: ReadonlyMap<string, number>;
  /** The sites taking public traffic with every site up (shared by every failure that downs none). */
  readonly traffic: readonly string[];
}

export function failureIndex(sites: readonly SiteFailureFacts[], edge: EdgeProxy): FailureIndex {
  const concernedBy = new Map<string, Set<string>>();
  const concernedByAny = new Set<string>();
  for (const s of sites) {
    for (const c of s.components) {
      const behaviour = behaviourOf(c);
      if (!behaviour?.otherSiteLoss) continue;
      if (!behaviour.otherSites) concernedByAny.add(s.site.name);
      for (const lost of behaviour.otherSites ?? []) {
        const set = concernedBy.get(lost) ?? new Set<string>();
        set.add(s.site.name);
        concernedBy.set(lost, set);
      }
    }
  }
  return {
    sites,
    models: sites.map((s) => s.site),
    primary: sites.find((s) => s.site.database.role === 'primary')?.site.name,
    postgresSites: sites.filter((s) => s.components.some((c) => c.name === COMPONENT.postgres)).map((s) => s.site.name),
    concernedBy,
    concernedByAny,
    position: new Map(sites.map((s, i) => [s.site.name, i])),
    traffic: publicTrafficSites(
      edge,
      sites.map((s) => s.site),
      new Set(),
    ),
  };
}

/**
 * The sites a failure concerns, in model order: a node loss its own site (no component states a
 * need on another site's node); a site loss that site and the sites whose components state
 * something about its loss; any other failure every site.
 */
function concernedSites(f: Failure, index: FailureIndex): readonly SiteFailureFacts[] {
  const { sites, position } = index;
  if (f.kind === 'node') return sites.filter((s) => s.site.name === f.site);
  if (f.kind !== 'site') return sites;
  const names = new Set([f.site, ...(index.concernedBy.get(f.site) ?? []), ...index.concernedByAny]);
  return [...names]
    .map((name) => position.get(name))
    .filter((i): i is number => i !== undefined)
    .sort((a, b) => a - b)
    .map((i) => sites[i]!);
}

/** What the failure `f` does to every component of the sites it concerns (the others stay up, stating nothing about it). */
export function outcomeOf(
  f: Failure,
  sites: readonly SiteFailureFacts[],
  edge: EdgeProxy,
  index = failureIndex(sites, edge),
): FailureOutcome {
  const concerned = concernedSites(f, index);
  const components = concerned.flatMap((s) => siteOutcomes(f, s));
  const down = new Set(f.kind === 'site' ? [f.site] : []);
  // The sites it does not concern keep their database as it is.
  const concernedNames = new Set(concerned.map((s) => s.site.name));
  const untouched = index.postgresSites.filter((s) => !concernedNames.has(s));
  const postgres = components.filter((c) => c.component === COMPONENT.postgres);
  const serving = postgres.filter((c) => c.impact.state !== 'down' && c.impact.state !== 'unknown').map((c) => c.site);
  const writing = postgres.filter((c) => c.impact.state === 'up' || c.impact.state === 'degraded').map((c) => c.site);
  const writes = [...writing, ...untouched].filter((s) => s === index.primary);
  let capacityLeft: string | undefined;
  if (f.kind === 'node') {
    const scenario = concerned[0]?.capacity.scenarios.find((s) => s.lostNode === f.node);
    if (scenario) capacityLeft = `${f.site} without ${f.node}: ${fullestNode(scenario)}`;
  }
  return {
    failure: f,
    title: failureTitle(f),
    components,
    publicTraffic: f.kind === 'edge' ? [] : publicTrafficIn(edge, index, down, components),
    database: { writes, reads: [...serving, ...untouched] },
    ...(capacityLeft ? { capacityLeft } : {}),
  };
}

/** Where public traffic goes in a failure downing the sites `down`, given its components' states. */
function publicTrafficIn(
  edge: EdgeProxy,
  index: FailureIndex,
  down: ReadonlySet<string>,
  components: readonly ComponentOutcome[],
): readonly string[] {
  const failing = failingEdgeHealth(index, down, components);
  if (down.size === 0 && failing.size === 0) return index.traffic;
  return publicTrafficSites(edge, index.models, down, false, failing);
}

/** Every failure's outcome, in report order. */
export function failureOutcomes(sites: readonly SiteFailureFacts[], edge: EdgeProxy): FailureOutcome[] {
  const index = failureIndex(sites, edge);
  return failuresOf(sites).map((f) => outcomeOf(f, sites, edge, index));
}
