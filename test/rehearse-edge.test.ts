/**
 * Rehearsal of the edge: the real HAProxy on the rendered haproxy.cfg (test/edge-run.ts) in front
 * of fake sites that parse PROXY v2. For each failure the report predicts where public traffic
 * goes (gitops/REPORT.md); the rehearsal injects it (a site stops answering, the edge stops) and
 * records where connections land and which client address arrives. A broken rendered setting
 * (the backup flag dropped) is caught as a disagreement.
 */
import { publicTrafficSites, type FailureOutcome } from '../pipeline/report';
import { EDGE, PLATFORM, SITES, type Site } from '../sites';
import { DOWN, RunningEdge, STAGING, UP } from './edge-run';
import { ask, FakeSite } from './proxy-v2';
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

/** Runs the edge with `model`'s sites, stops the sites named `down` (or the edge itself), records the landings. */
async function rehearse(
  rehearsal: Rehearsal,
  failure: string,
  predicted: readonly string[],
  down: readonly string[],
  options: { model?: readonly Site[]; edgeDown?: boolean; change?: (text: string) => string } = {},
): Promise<void> {
  const model = options.model ?? SITES;
  const fakes = new Map(model.map((s) => [s.name, new FakeSite(s.name)]));
  const edge = new RunningEdge(EDGE, fakes, model, options.change);
  try {
    await edge.start();
    await edge.waitFor(Object.fromEntries(SITES.map((s) => [s.name, UP])));
    for (const name of down) await fakes.get(name)!.close();
    if (down.length > 0) await edge.waitFor(Object.fromEntries(down.filter((n) => SITES.some((s) => s.name === n)).map((n) => [n, DOWN])));
    if (options.edgeDown) await edge.stop();
    // With no site to take it, HAProxy holds each connection through its connect retries: one is enough.
    const seen = await landings(edge, predicted.length > 0 ? 6 : 1);
    rehearsal.fact(failure, 'public traffic lands on', names(predicted), seen.sites);
    if (predicted.length > 0) rehearsal.fact(failure, 'client address at the site', CLIENT, seen.addresses);
  } finally {
    await edge.stop();
  }
}

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

  it('catches a broken rendered setting: without the backup flag both sites take traffic, against the report', async () => {
    const broken = new Rehearsal('edge-broken');
    await rehearse(broken, 'none', publicTrafficSites(EDGE, SITES, new Set()), [], {
      change: (text) => text.replace(/ backup$/gm, ''),
    });
    expect(broken.disagreements().map((r) => [r.subject, r.predicted, r.observed])).toEqual([
      ['public traffic lands on', 'cluster1', 'cluster1, cluster2'],
    ]);
  }, 60_000);
});
