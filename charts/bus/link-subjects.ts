/**
 * What crosses the leafnode link between sites: exactly the subjects components declare as
 * cross-site (`Bus.declareCrossSite`), nothing else. One pure function gives both ends:
 *
 * - the hub: the leaf site's user (an APP account user allowed only as a leafnode connection)
 *   gets allow-lists, from the leaf's point of view (publish = into the hub, subscribe = out of
 *   it). nats-server also sends these permissions to the leaf in its INFO, and the leaf enforces
 *   them on its side (server/leafnode.go, v2.9 and v2.14).
 * - the leaf: `deny_imports`/`deny_exports` on its remote for what must never cross (JetStream
 *   acks and flow control, every subject a stream of the site captures). A remote takes deny-lists
 *   only, so they cannot be exact; they keep a site's work on the site while the hub still runs an
 *   older configuration (each site syncs on its own).
 *
 * Why a filter rather than per-site subjects alone: JetStream ack subjects
 * (`$JS.ACK.<stream>.<consumer>...`, the default form in 2.9 and 2.14; the form with the domain is
 * behind a 2.14 feature flag 2.9 cannot read) would still be the same on both sites, so an ack on
 * one site would still reach the other site's consumer and be applied by stream sequence.
 */
import type { CrossSiteSubjects } from '../lib/bus';

/** Subjects that never cross the link, whatever is declared. */
export const NEVER_CROSSING = ['$JS.ACK.>', '$JS.FC.>'] as const;

/** Subject permissions as nats-server reads them (`permissions { publish {...} subscribe {...} }`). */
export interface SubjectRule {
  /** Subjects allowed; everything is allowed when absent. Never empty (nats-server reads `[]` as absent). */
  readonly allow?: readonly string[];
  /** Subjects denied, even when allowed. */
  readonly deny?: readonly string[];
}

/** Both directions of a permission set. */
export interface SubjectPermissions {
  readonly publish: SubjectRule;
  readonly subscribe: SubjectRule;
}

/** Both ends of the link filter. */
export interface LinkFilter {
  /** Subjects that cross, both ways, sorted. */
  readonly crossing: readonly string[];
  /** Subjects that never cross: acks, flow control, and the subjects the site's streams capture. */
  readonly neverCrossing: readonly string[];
  /** Permissions of the leaf site's user on the hub (from the leaf's point of view). */
  readonly hubLeafUser: SubjectPermissions;
  /** The leaf's remote: what it refuses to receive and to send. */
  readonly leafRemote: { readonly denyImports: readonly string[]; readonly denyExports: readonly string[] };
}

/** Whether some literal subject matches both subjects (NATS wildcards `*` and `>`). */
export function subjectsCollide(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return p === q;
    if (p === '>' || q === '>') return true;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
}

/**
 * Why a declared cross-site subject cannot be one (empty when it can): reserved subjects, or a
 * subject a stream of the site captures (it would be stored on both sites).
 */
export function crossSiteProblems(subject: string, streamSubjects: readonly string[]): string[] {
  const problems: string[] = [];
  if (subject.startsWith('$') || subject.startsWith('_INBOX')) {
    problems.push(`'${subject}' is a reserved subject (JetStream, system or reply inboxes): it cannot be declared cross-site`);
  }
  const captured = streamSubjects.filter((s) => subjectsCollide(s, subject));
  if (captured.length > 0) {
    problems.push(`'${subject}' overlaps ${captured.join(', ')}, captured by a stream: work would be stored on both sites`);
  }
  return problems;
}

/** The link filter from the declarations of the site (the same on both ends; the cross-site check compares them). */
export function linkFilter(crossSite: readonly CrossSiteSubjects[], streamSubjects: readonly string[]): LinkFilter {
  const crossing = [...new Set(crossSite.flatMap((d) => d.subjects))].sort();
  const neverCrossing = [...NEVER_CROSSING, ...[...new Set(streamSubjects)].sort()];
  // An empty allow-list would read as "no restriction": with nothing declared, deny everything.
  const rule: SubjectRule = crossing.length > 0 ? { allow: crossing, deny: neverCrossing } : { deny: ['>'] };
  return {
    crossing,
    neverCrossing,
    hubLeafUser: { publish: rule, subscribe: rule },
    leafRemote: { denyImports: neverCrossing, denyExports: neverCrossing },
  };
}
