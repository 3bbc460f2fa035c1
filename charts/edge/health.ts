/**
 * What the edge asks each site before sending it public traffic, and how often.
 *
 * The question goes the way public traffic goes: to the site's Envoy floating address on 443, with
 * a PROXY v2 header (Envoy's listeners require one), over TLS with the public name as SNI (Envoy
 * picks the certificate and filter chain by it), the certificate verified, then `GET` of the
 * resizer API's liveness path on the public name's route. Any live API pod answers it 200, so the
 * answer does not hang on the one pod Envoy happens to pick (the route has no retries). A pod
 * whose bus or object store is lost fails its readiness probe; once every pod is NotReady,
 * Contour gives Envoy no endpoint (contour v1.33.6 internal/xdscache/v3/endpointslicetranslator.go
 * skips endpoints whose Ready is false) and Envoy answers 503. The site's state is then the
 * kubelet's, with its smoothing (`RESIZER_READINESS`): a dependency blip the probes ride out, or
 * one bad pod among ready ones, does not take the site out of the split. A site fails the check
 * when its floating address, Envoy, the route, the certificate or every API pod is lost, or when
 * no API pod is Ready (the bus or the object store lost); the database is not asked (the public
 * route does not use it). Envoy's own `/ready` (Contour's health listener, without PROXY protocol
 * or TLS) would only say Envoy has its configuration, not that the routes it serves can answer.
 */
import { COMPONENT } from '../../model/components';
import type { Site } from '../../sites';
import { publicHost } from '../contour/route-proxy';
import { RESIZER_CONTRACT, RESIZER_READINESS } from '../resizer/config';

/**
 * The public name whose route carries the question: the resizer API's (`charts/resizer/resizer.ts`).
 * test/edge-health-live.test.ts checks that it is every site's only public name and that its route
 * reaches the API, whose liveness probe is the path asked.
 */
const HEALTH_HOST_LABEL = 'images';

/** The question the edge asks a site. */
export interface HealthQuestion {
  /** Public name: SNI, certificate name checked and Host header. */
  readonly host: string;
  /** Path asked with GET; 200 means a live pod answered, so the site has a Ready one. */
  readonly path: string;
  /** The component whose state the answer reflects (the failure report reads it). */
  readonly component: string;
}

/** The edge's health question to `site`. */
export function healthQuestion(site: Site): HealthQuestion {
  return { host: publicHost(site, HEALTH_HOST_LABEL), path: RESIZER_CONTRACT.livePath, component: COMPONENT.resizer };
}

/**
 * The CA the edge verifies a site's certificate against: the system's trusted CAs (Debian's
 * ca-certificates) for certificates from a public ACME CA; for a site whose certificates come
 * from Vault PKI, that CA's certificate, which the VM keeps at the path given.
 */
export function trustedCaFile(site: Site): string {
  return site.certificates.kind === 'acme-rfc2136' ? '@system-ca' : `/etc/haproxy/ca/${site.name}.pem`;
}

/** How often a site is asked and how many answers change its state (HAProxy server settings). */
export interface CheckTiming {
  /** Between two checks of a site that is up (`inter`). */
  readonly interMs: number;
  /** Between two checks once one answer disagrees with the state (`fastinter`). */
  readonly fastinterMs: number;
  /** Failed checks in a row that mark a site down (`fall`). */
  readonly fall: number;
  /** Passed checks in a row that mark it up again (`rise`). */
  readonly rise: number;
  /** How long a check may wait for its answer once connected (`timeout check`). */
  readonly answerTimeoutMs: number;
  /** The backends' `timeout connect`; a check connects within min(this, inter). */
  readonly connectTimeoutMs: number;
}

/** The rendered timing. */
export const CHECK_TIMING: CheckTiming = {
  interMs: 2000,
  fastinterMs: 1000,
  fall: 3,
  rise: 2,
  answerTimeoutMs: 2000,
  connectTimeoutMs: 5000,
};

/** `2s`, `250ms`: an HAProxy time. */
export function haproxyTime(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The server keywords of a timing. */
export function timingKeywords(t: CheckTiming): string {
  return `inter ${haproxyTime(t.interMs)} fastinter ${haproxyTime(t.fastinterMs)} fall ${t.fall} rise ${t.rise}`;
}

/**
 * The longest a check lasts: HAProxy 2.6 connects within min(`timeout connect`, `inter`), then
 * waits `timeout check` for the answer (configuration.txt, "timeout check").
 */
function longestCheckMs(t: CheckTiming): number {
  return Math.min(t.connectTimeoutMs, t.interMs) + t.answerTimeoutMs;
}

/**
 * The longest a site's state takes to change once its answers do, each check taking `checkMs`:
 * the next check starts within `inter` of the last answer of the old kind (a down site's too:
 * `downinter` unset), then `checks` checks (`fall` to go down, `rise` to come back) `fastinter`
 * apart (HAProxy schedules a check an interval after the previous one ends).
 */
function changesWithinMs(t: CheckTiming, checks: number, checkMs: number): number {
  return t.interMs + checks * checkMs + (checks - 1) * t.fastinterMs;
}

/** The shortest: every failed (or passed) check but the first is `fastinter` after the previous one. */
export function changesAfterAtLeastMs(t: CheckTiming, checks: number): number {
  return (checks - 1) * t.fastinterMs;
}

/** How the kubelet asks the API pods' readiness (Kubernetes probe settings). */
interface ReadinessProbeTiming {
  readonly periodSeconds: number;
  readonly failureThreshold: number;
}

/**
 * The longest the kubelet keeps a pod Ready once its readiness fails: `failureThreshold` failed
 * probes `periodSeconds` apart, the first within a period of the loss.
 */
function podUnreadyWithinMs(p: ReadinessProbeTiming): number {
  return p.periodSeconds * p.failureThreshold * 1000;
}

/** The longest a NotReady pod waits to be Ready again once it can be: the next probe (one success). */
function podReadyAgainWithinMs(p: ReadinessProbeTiming): number {
  return p.periodSeconds * 1000;
}

/** The edge's bounds, in ms, from its timing and the API's readiness probe. */
export interface HealthBounds {
  /** A site answering anything but 200, failing TLS or refusing leaves the split within (plus round trips). */
  readonly answersWrong: number;
  /** A site that hangs once asked leaves it within. */
  readonly hangs: number;
  /** The kubelet's part of a dependency loss: every pod NotReady within. */
  readonly podsUnready: number;
  /** A site whose API pods all lose the bus or the object store leaves within (plus Contour updating Envoy). */
  readonly dependenciesLost: number;
  /** A site marked down is back within, once it answers 200. */
  readonly back: number;
  /** ... and within, once its bus and object store answer again (plus Contour updating Envoy). */
  readonly dependenciesBack: number;
}

/** The bounds the rendered header, docs/ingress.md and the README state. */
export function healthBounds(t: CheckTiming = CHECK_TIMING, readiness: ReadinessProbeTiming = RESIZER_READINESS): HealthBounds {
  const answersWrong = changesWithinMs(t, t.fall, 0);
  const back = changesWithinMs(t, t.rise, 0);
  const podsUnready = podUnreadyWithinMs(readiness);
  return {
    answersWrong,
    hangs: changesWithinMs(t, t.fall, longestCheckMs(t)),
    podsUnready,
    dependenciesLost: podsUnready + answersWrong,
    back,
    dependenciesBack: podReadyAgainWithinMs(readiness) + back,
  };
}
