/**
 * The edge's health question (charts/edge/health.ts), checked and then run: the rendered checks ask
 * it over HTTPS with the PROXY header, SNI and a verified certificate; the route it takes on every
 * site is the public route, to the resizer API's liveness (whose readiness probe is the timing the
 * bounds read); and the real HAProxy on the rendered file (timing scaled down, test/edge-run.ts)
 * takes new public traffic off a site answering 503, failing TLS or hanging after `fall` failed
 * answers (counted by the fake site when HAProxy reports the change, not on the test's clock),
 * gives it back after `rise` passed ones, and keeps the split on the sites still accepting
 * connections when every site fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { LAST_RESORT, renderHaproxyConfig } from '../charts/edge/haproxy';
import { CHECK_TIMING, changesAfterAtLeastMs, healthBounds, healthQuestion, trustedCaFile } from '../charts/edge/health';
import { isPublicHost } from '../charts/contour/route-proxy';
import { RESIZER_READINESS, RESIZER_WORKLOADS } from '../charts/resizer/config';
import { failureOutcomes, publicTrafficSites } from '../pipeline/report';
import type { SiteFailureFacts } from '../pipeline/report/failures';
import { unaffected } from '../charts/lib/resilience';
import { EDGE, SITES, type EdgeProxy } from '../sites';
import { DOWN, EARLY_MS, RunningEdge, SCALED, UP } from './edge-run';
import { healthySites, suiteCerts, type HealthAnswer, type HealthCheckedSite } from './edge-site';
import { REPO_ROOT, withChange } from './helpers';
import { ask } from './proxy-v2';

const question = healthQuestion(SITES[0]!);
/** What the test reads of a root HTTPProxy, a child HTTPProxy and a Deployment. */
interface RootProxy {
  readonly spec: {
    readonly virtualhost: { readonly fqdn: string; readonly tls?: { readonly secretName: string } };
    readonly includes: readonly {
      readonly name: string;
      readonly namespace: string;
      readonly conditions: readonly { readonly prefix: string }[];
    }[];
  };
}
interface ChildProxy {
  readonly spec: { readonly routes: readonly { readonly services: readonly { readonly name: string }[] }[] };
}
interface Probe {
  readonly httpGet?: { readonly path?: string };
  readonly periodSeconds?: number;
  readonly failureThreshold?: number;
}
interface Deployment {
  readonly spec: {
    readonly template: {
      readonly spec: { readonly containers: readonly { readonly readinessProbe?: Probe; readonly livenessProbe?: Probe }[] };
    };
  };
}
const readYaml = <T>(...parts: string[]): T => parse(fs.readFileSync(path.join(REPO_ROOT, 'gitops', ...parts), 'utf8')) as T;

describe('the health question', () => {
  const text = renderHaproxyConfig(EDGE, SITES);

  it('is asked over HTTPS after the PROXY header, with SNI and the certificate verified for the public name', () => {
    const block = text.split('\n\n').find((b) => b.startsWith('backend sites-https\n'))!;
    expect(block).toContain(`http-check send meth GET uri ${question.path} ver HTTP/1.1 hdr Host ${question.host} `);
    expect(block).toContain('http-check expect status 200');
    for (const site of SITES) {
      expect(block).toMatch(
        new RegExp(
          `server ${site.name} \\S+:443 send-proxy-v2 check check-send-proxy check-ssl check-sni ${question.host} verify required ca-file @system-ca verifyhost ${question.host} no-ssl-reuse `,
        ),
      );
    }
  });

  it('trusts the system CAs for ACME certificates and a file of its own for a Vault PKI site', () => {
    const vault = withChange(SITES[1]!, (d) => (d.certificates = { kind: 'vault-pki', path: 'pki_int/sign/platform', role: 'edge' }));
    expect(trustedCaFile(SITES[0]!)).toBe('@system-ca');
    expect(trustedCaFile(vault)).toBe(`/etc/haproxy/ca/${vault.name}.pem`);
    expect(renderHaproxyConfig(EDGE, [SITES[0]!, vault])).toContain(`ca-file /etc/haproxy/ca/${vault.name}.pem verifyhost`);
  });

  it.each(SITES.map((s) => [s.name]))('on %s, takes the public route to the resizer API, whose liveness is the path asked', (name) => {
    const site = SITES.find((s) => s.name === name)!;
    expect(healthQuestion(site)).toEqual(question);
    const dir = path.join(REPO_ROOT, 'gitops', name, 'contour');
    const roots = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('httpproxy-'))
      .map((f) => readYaml<RootProxy>(name, 'contour', f));
    // The public split carries only this name: a second public name would need its own question.
    expect(roots.map((r) => r.spec.virtualhost.fqdn).filter((h) => isPublicHost(site, SITES, h))).toEqual([question.host]);
    const root = roots.find((r) => r.spec.virtualhost.fqdn === question.host)!;
    expect(root.spec.virtualhost.tls?.secretName).toBeDefined();
    const include = root.spec.includes.find((i) => question.path.startsWith(i.conditions[0]!.prefix))!;
    expect(include.namespace).toBe(question.component);
    const child = readYaml<ChildProxy>(name, question.component, `httpproxy-${include.name}.yaml`);
    expect(child.spec.routes[0]!.services[0]!.name).toBe(RESIZER_WORKLOADS.api);
    const api = readYaml<Deployment>(name, question.component, `deployment-${RESIZER_WORKLOADS.api}.yaml`);
    const [container] = api.spec.template.spec.containers;
    // Any live pod answers; the kubelet's readiness, at the timing the bounds read, decides when Envoy has none.
    expect(container!.livenessProbe?.httpGet?.path).toBe(question.path);
    expect(container!.readinessProbe).toMatchObject(RESIZER_READINESS);
  });

  it("moves the failure report's public traffic off failing sites, and keeps it on the sites up when all fail", () => {
    const none = new Set<string>();
    expect(publicTrafficSites(EDGE, SITES, none, false, new Set(['cluster1']))).toEqual(['cluster2']);
    expect(publicTrafficSites(EDGE, SITES, none, false, new Set(['cluster2']))).toEqual(['cluster1']);
    expect(publicTrafficSites(EDGE, SITES, none, false, new Set(['cluster1', 'cluster2']))).toEqual(['cluster1']);
    expect(publicTrafficSites(EDGE, SITES, new Set(['cluster1']), false, new Set(['cluster2']))).toEqual(['cluster2']);
    const weighted: EdgeProxy = { ...EDGE, split: { mode: 'weighted', weights: { cluster1: 1, cluster2: 1 } } };
    expect(publicTrafficSites(weighted, SITES, none, false, new Set(['cluster2']))).toEqual(['cluster1']);
    expect(publicTrafficSites(weighted, SITES, none, false, new Set(['cluster1', 'cluster2']))).toEqual(['cluster1', 'cluster2']);
    expect(publicTrafficSites(EDGE, SITES, none, true, new Set(['cluster1']))).toEqual([]);
  });

  it("sends the report's public traffic off a site whose resizer a failure downs, and to the last resort when both are", () => {
    const down = { state: 'down' as const, reason: 'test' };
    const facts: SiteFailureFacts[] = SITES.map((site) => ({
      site,
      components: [
        {
          name: question.component,
          // A node loss downs the resizer on cluster1 only; the link's loss downs it on both sites.
          behaviour: { serves: 'test', nodeLoss: site.name === 'cluster1' ? down : unaffected('test'), linkLoss: down },
          stateful: [],
        },
      ],
      capacity: { scenarios: [] },
    }));
    const outcomes = failureOutcomes(facts, EDGE);
    const traffic = (title: string) => outcomes.find((o) => o.title === title)!.publicTraffic;
    for (const node of SITES[0]!.nodes) expect(traffic(`node ${node.name} of cluster1`)).toEqual(['cluster2']);
    for (const node of SITES[1]!.nodes) expect(traffic(`node ${node.name} of cluster2`)).toEqual(['cluster1']);
    expect(traffic('the link between the sites')).toEqual(['cluster1']);
    expect(traffic('site cluster1')).toEqual(['cluster2']);
    expect(traffic('the edge proxy')).toEqual([]);
  });

  it('states its bounds from the rendered timing and the readiness probe', () => {
    expect(CHECK_TIMING).toMatchObject({ interMs: 2000, fastinterMs: 1000, fall: 3, rise: 2 });
    expect(RESIZER_READINESS).toEqual({ periodSeconds: 5, failureThreshold: 3 });
    expect(healthBounds()).toEqual({
      answersWrong: 4000,
      hangs: 16000,
      podsUnready: 15000,
      dependenciesLost: 19000,
      back: 3000,
      dependenciesBack: 8000,
    });
    const header = text.split('\n\n')[0]!.replace(/\n# /g, ' ');
    expect(header).toContain(`GET https://${question.host}${question.path} `);
    expect(header).toContain('refuses leaves within 4 s');
    expect(header).toContain('hangs within 16 s');
    expect(header).toContain('within 15 s (readiness 5 s x 3) + 4 s = 19 s');
    expect(header).toContain('back within 3 s of answering 200 (8 s of its dependencies answering)');
  });

  it.each([['README.md'], ['docs/ingress.md']])('is stated in %s with the bounds the code computes', (file) => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
    const b = healthBounds();
    for (const ms of [b.answersWrong, b.hangs, b.dependenciesLost, b.back, b.dependenciesBack]) expect(doc).toContain(`**${ms / 1000} s**`);
    expect(doc).toContain(question.path);
  });
});

describe('HAProxy asking the health question', () => {
  const certs = suiteCerts('edge-health-');

  /** The site a new client connection to 443 lands on ('' when none takes it). */
  const landing = (edge: RunningEdge) =>
    ask('127.0.0.1', edge.ports.https, '127.0.0.7').then(
      (r) => r.answer.split(' ')[0]!,
      () => '',
    );

  /**
   * Makes `site` answer `answer` and waits until new connections land on `then`. Returns how many
   * checks the site had answered so (failed going down, passed coming back) when HAProxy reported
   * the change, and how long after the switch the test saw that report.
   */
  async function switchOver(
    edge: RunningEdge,
    site: HealthCheckedSite,
    answer: HealthAnswer,
    then: string,
  ): Promise<{ answers: number; tookMs: number }> {
    const down = answer !== 200;
    // From full health (or from down): a check timed out by load before the switch would leave fewer to count.
    await edge.until(async () => {
      const { health, full } = await edge.checkHealth('sites-https', site.name);
      return health === (down ? full : 0);
    }, `${site.name} at full check health (or down)`);
    const kind = down ? 'failed' : 'passed';
    const before = site.answered[kind];
    const start = Date.now();
    const changed = edge.nextTransition('sites-https', site.name, down ? 'DOWN' : 'UP', () => ({
      answers: site.answered[kind] - before,
      tookMs: Date.now() - start,
    }));
    site.health = answer;
    const result = await changed;
    await edge.until(async () => (await landing(edge)) === then, `connections to land on ${then} after ${site.name} answers ${answer}`);
    return result;
  }

  /**
   * HAProxy checks a server one check at a time, so the report comes right after the fall-th
   * failure, before the next check (inter later) is even connected: exactly `fall`. Coming back, a
   * pass the fake answered late enough for HAProxy to time it out is one more: rise, or rise + 1.
   */
  const expectDown = (what: string, r: { answers: number; tookMs: number }, atLeastMs: number) => {
    expect([what, r.answers]).toEqual([what, SCALED.fall]);
    expect([what, r.tookMs >= atLeastMs - EARLY_MS]).toEqual([what, true]);
  };
  const expectUp = (r: { answers: number; tookMs: number }) => {
    expect(r.answers).toBeGreaterThanOrEqual(SCALED.rise);
    expect(r.answers).toBeLessThanOrEqual(SCALED.rise + 1);
    expect(r.tookMs).toBeGreaterThanOrEqual(changesAfterAtLeastMs(SCALED, SCALED.rise) - EARLY_MS);
  };

  it('takes new traffic off a site after `fall` failed answers, and gives it back after `rise` passed ones', async () => {
    const sites = healthySites(SITES, certs());
    const [first, second] = [sites.get('cluster1')!, sites.get('cluster2')!];
    const edge = new RunningEdge(EDGE, sites, { trustedCa: certs().trustedCa, timing: SCALED });
    try {
      await edge.start();
      // Each site was asked the question as rendered: SNI, path and Host of the public name, after a PROXY header.
      for (const fake of [first, second]) {
        expect(fake.checks.length).toBeGreaterThan(0);
        expect(new Set(fake.checks.map((c) => JSON.stringify(c)))).toEqual(
          new Set([JSON.stringify({ sni: question.host, method: 'GET', path: question.path, host: question.host })]),
        );
        expect(fake.rejected).toBe(0);
      }
      expect(await landing(edge)).toBe('cluster1');

      const fastDown = changesAfterAtLeastMs(SCALED, SCALED.fall);
      expectDown('503', await switchOver(edge, first, 503, 'cluster2'), fastDown);
      expect(await edge.checkStatus('sites-https', 'cluster1')).toEqual({ status: 'L7STS', code: '503' });
      // Port 80 follows 443's check; the site still takes connections, so it stays a last resort.
      await edge.waitFor({ cluster1: DOWN, cluster2: UP });
      await edge.waitFor({ cluster1: UP, cluster2: UP }, LAST_RESORT);

      expectUp(await switchOver(edge, first, 200, 'cluster1'));

      // A site accepting TCP and the PROXY header whose TLS fails (plain text, a certificate of
      // another CA, one for another name) loses its traffic the same way.
      for (const answer of ['no-tls', 'untrusted-ca', 'wrong-name'] as const) {
        expectDown(answer, await switchOver(edge, first, answer, 'cluster2'), fastDown);
        expect([answer, (await edge.checkStatus('sites-https', 'cluster1')).status]).toEqual([answer, 'L6RSP']);
        expectUp(await switchOver(edge, first, 200, 'cluster1'));
      }

      // One that hangs once asked: each check lasts until `timeout check`.
      expectDown('hang', await switchOver(edge, first, 'hang', 'cluster2'), fastDown + SCALED.fall * SCALED.answerTimeoutMs);
      expect((await edge.checkStatus('sites-https', 'cluster1')).status).toBe('L7TOUT');
    } finally {
      await edge.stop();
    }
  }, 90_000);

  it('when every site fails its question, keeps the split on the sites still accepting connections', async () => {
    const sites = healthySites(SITES, certs());
    const [first, second] = [sites.get('cluster1')!, sites.get('cluster2')!];
    const edge = new RunningEdge(EDGE, sites, { trustedCa: certs().trustedCa });
    try {
      await edge.start();
      first.health = 503;
      second.health = 503;
      await edge.waitFor({ cluster1: DOWN, cluster2: DOWN });
      // The active site first, as the split says, although its answers are 503 now.
      expect(await landing(edge)).toBe('cluster1');
      // As soon as one site passes again, the split takes it back from the last resort (which
      // would still send it to cluster1, open and first in the split).
      second.health = 200;
      await edge.waitFor({ cluster2: UP });
      expect(await landing(edge)).toBe('cluster2');
      second.health = 503;
      await edge.waitFor({ cluster2: DOWN });
      expect(await landing(edge)).toBe('cluster1');
      // A site refusing connections is left out of the last resort too.
      await first.close();
      await edge.waitFor({ cluster1: DOWN, cluster2: UP }, LAST_RESORT);
      expect(await landing(edge)).toBe('cluster2');
      await second.close();
      await edge.waitFor({ cluster1: DOWN, cluster2: DOWN }, LAST_RESORT);
      expect(await landing(edge)).toBe('');
    } finally {
      await edge.stop();
    }
  }, 60_000);
});
