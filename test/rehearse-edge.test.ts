/**
 * Rehearsal of the edge: the real HAProxy on the rendered haproxy.cfg (test/edge-run.ts) in front
 * of fake sites that parse PROXY v2 and answer the health question over TLS (test/edge-site.ts).
 * For each failure the report predicts where public traffic goes (gitops/REPORT.md, and
 * `publicTrafficSites` for a site that is up but fails its health question); the rehearsal
 * injects it (a site stops answering, answers 503 or fails TLS, the edge stops) and records where
 * connections land and which client address arrives. Broken rendered settings (the backup flag,
 * the last-resort rule dropped) are caught as disagreements.
 */
import { publicTrafficSites, type FailureOutcome } from '../pipeline/report';
import { EDGE, PLATFORM, SITES, type Site } from '../sites';
import { DOWN, RunningEdge, STAGING, UP } from './edge-run';
import { edgeTestCerts, healthySites, type EdgeTestCerts, type HealthAnswer } from './edge-site';
import { tempDir } from './helpers';
import { ask } from './proxy-v2';
import { outcomeTitled, predictions, Rehearsal } from './rehearsal';

const CLIENT = '127.0.0.7';
const outcomes = predictions(PLATFORM);
const names = (sites: readonly string[]) => (sites.length > 0 ? [...sites].sort().join(', ') : 'none');

/** Where `count` connections from the client land, and the client addresses the sites saw. */
async function landings(edge: RunningEdge, count = 6): Promise<{ sites: string; addresses: string }> {
  const sites = new Set<string>();
  const addresses = new Set<string>();
  for (let i = 0; i < count; i++) {
    const answer = await ask('127.0.0.1', edge.ports.https, CLIENT).then(
      (r) => r.answer,
      () => '',
    );
    const [site, address] = answer.split(' ');
    if (site) sites.add(site);
    if (address) addresses.add(address);
  }
  return { sites: names([...sites]), addresses: names([...addresses]) };
}

let certs: EdgeTestCerts;
const tmp = tempDir('edge-rehearsal-');
beforeAll(() => (certs = edgeTestCerts(tmp.dir)));
afterAll(() => tmp.cleanup());

/**
 * Runs the edge with `model`'s sites, stops the sites named `down` (or the edge itself), makes the
 * sites in `answers` answer their health check so, and records the landings.
 */
async function rehearse(
  rehearsal: Rehearsal,
  failure: string,
  predicted: readonly string[],
  down: readonly string[],
  options: {
    model?: readonly Site[];
    edgeDown?: boolean;
    change?: (text: string) => string;
    answers?: Readonly<Record<string, HealthAnswer>>;
  } = {},
): Promise<void> {
  const model = options.model ?? SITES;
  const fakes = healthySites(model, certs);
  const edge = new RunningEdge(EDGE, fakes, { trustedCa: certs.trustedCa, model, change: options.change });
  try {
    await edge.start();
    await edge.waitFor(Object.fromEntries(SITES.map((s) => [s.name, UP])));
    for (const name of down) await fakes.get(name)!.close();
    const answers = Object.entries(options.answers ?? {});
    for (const [name, answer] of answers) fakes.get(name)!.health = answer;
    const failing = [...down, ...answers.map(([name]) => name)].filter((n) => SITES.some((s) => s.name === n));
    if (failing.length > 0) await edge.waitFor(Object.fromEntries(failing.map((n) => [n, DOWN])));
    if (options.edgeDown) await edge.stop();
    // With no site to take it, HAProxy holds each connection through its connect retries: one is enough.
    const seen = await landings(edge, predicted.length > 0 ? 6 : 1);
    rehearsal.fact(failure, 'public traffic lands on', names(predicted), seen.sites);
    if (predicted.length > 0) rehearsal.fact(failure, 'client address at the site', CLIENT, seen.addresses);
  } finally {
    await edge.stop();
  }
}

/** Where the report sends public traffic when `failing` are up but fail their health question and `down` are lost. */
const whenFailing = (failing: readonly string[], down: readonly string[] = []) =>
  publicTrafficSites(EDGE, SITES, new Set(down), false, new Set(failing));

const traffic = (o: FailureOutcome) => o.publicTraffic;

describe('the edge, rehearsed against the failure report', () => {
  const rehearsal = new Rehearsal('edge');
  afterAll(() => rehearsal.save());

  it('sends public traffic where the report says, with the client address, in every failure of the edge path', async () => {
    await rehearse(rehearsal, 'none', publicTrafficSites(EDGE, SITES, new Set()), []);
    for (const site of SITES) {
      const o = outcomeTitled(outcomes, `site ${site.name}`);
      await rehearse(rehearsal, o.title, traffic(o), [site.name]);
    }
    const edgeLoss = outcomeTitled(outcomes, 'the edge proxy');
    await rehearse(rehearsal, edgeLoss.title, traffic(edgeLoss), [], { edgeDown: true });
    // A site that must not take public traffic never gets it, even with every other site down.
    const model = [...SITES, STAGING];
    const down = SITES.map((s) => s.name);
    await rehearse(rehearsal, `${down.join(' and ')} (with ${STAGING.name})`, publicTrafficSites(EDGE, model, new Set(down)), down, {
      model,
    });
    expect(rehearsal.disagreements()).toEqual([]);
    expect(rehearsal.rows.length).toBeGreaterThanOrEqual(SITES.length * 2 + 3);
  }, 120_000);

  it('moves public traffic off a site that is up but fails its health question, and keeps it somewhere when every site does', async () => {
    const rehearsal = new Rehearsal('edge-health');
    const [first, second] = SITES.map((s) => s.name) as [string, string];
    for (const site of [first, second]) {
      await rehearse(rehearsal, `${site} answers 503 (no ready resizer API: its bus or object store lost)`, whenFailing([site]), [], {
        answers: { [site]: 503 },
      });
    }
    await rehearse(rehearsal, `${first}'s certificate is not from the CA the edge trusts`, whenFailing([first]), [], {
      answers: { [first]: 'untrusted-ca' },
    });
    await rehearse(rehearsal, `${first} accepts TCP but does not speak TLS`, whenFailing([first]), [], { answers: { [first]: 'no-tls' } });
    // Both fail their check: the last resort keeps the split over the sites still accepting connections.
    await rehearse(rehearsal, 'both sites answer 503', whenFailing([first, second]), [], { answers: { [first]: 503, [second]: 503 } });
    await rehearse(rehearsal, `${first} lost and ${second} answers 503`, whenFailing([second], [first]), [first], {
      answers: { [second]: 503 },
    });
    rehearsal.save();
    expect(rehearsal.disagreements()).toEqual([]);
    expect(whenFailing([first, second])).toEqual([first]);
    expect(rehearsal.rows).toHaveLength(12);
  }, 120_000);

  it('catches a broken rendered setting: without the backup flag both sites take traffic, against the report', async () => {
    const broken = new Rehearsal('edge-broken');
    await rehearse(broken, 'none', publicTrafficSites(EDGE, SITES, new Set()), [], {
      change: (text) => text.replace(/ backup$/gm, ''),
    });
    expect(broken.disagreements().map((r) => [r.subject, r.predicted, r.observed])).toEqual([
      ['public traffic lands on', 'cluster1', 'cluster1, cluster2'],
    ]);
  }, 60_000);

  it('catches a broken rendered setting: without the last-resort rule, two failing checks stop public traffic, against the report', async () => {
    const broken = new Rehearsal('edge-broken-last-resort');
    const both = SITES.map((s) => s.name);
    await rehearse(broken, 'both sites answer 503', whenFailing(both), [], {
      answers: Object.fromEntries(both.map((n) => [n, 503 as const])),
      change: (text) => text.replace(/^ {4}use_backend sites-last-resort-.*\n/gm, ''),
    });
    expect(broken.disagreements().map((r) => [r.subject, r.predicted, r.observed])).toEqual([
      ['public traffic lands on', 'cluster1', 'none'],
      ['client address at the site', CLIENT, 'none'],
    ]);
  }, 60_000);
});
