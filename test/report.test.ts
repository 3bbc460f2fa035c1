/**
 * The failure report (pipeline/report/) against the seeds' own analyses, which it must reach from
 * the model unaided (seed 000: losing cluster1 leaves the database fully available, losing
 * cluster2 leaves reads on cluster1 and no writes; seed 001: losing one node keeps everything up,
 * or the report says which component is not and why); a component that states nothing is
 * `unknown` and fails validation; the committed REPORT.md and the diagram are what synth renders,
 * and every Mermaid block parses with @mermaid-js/parser.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PlatformError } from '../model/errors';
import { failureOutcomes, platformDiagram, type FailureOutcome } from '../pipeline/report';
import { mermaidBlock } from '../pipeline/report/diagram';
import { renderTree } from '../pipeline/synth';
import { renderSite } from '../pipeline/render';
import { siteFailureFacts } from '../pipeline/report/failures';
import { checkCapacity } from '../pipeline/validate/capacity';
import { EDGE, PLATFORM, SITES } from '../sites';
import { PlatformComponent } from '../charts/component';
import { REPO_ROOT } from './helpers';
import { semanticDiff, type RatedFileChange } from '../pipeline/diff';
import { unaffected } from '../charts/lib/resilience';
import type { Construct } from 'constructs';
import type { SiteContext } from '../charts/context';

const facts = SITES.map((s) => {
  const rendered = renderSite(s, PLATFORM);
  return siteFailureFacts(rendered, checkCapacity(rendered));
});
const outcomes = failureOutcomes(facts, EDGE);
const primary = SITES.find((s) => s.database.role === 'primary')!.name;
const standby = SITES.find((s) => s.database.role === 'standby')!.name;
const outcome = (title: string): FailureOutcome => outcomes.find((o) => o.title === title)!;
const stateOf = (o: FailureOutcome, site: string, component: string) =>
  o.components.find((c) => c.site === site && c.component === component)!.impact.state;

describe('seed 000: the database across the sites', () => {
  it(`losing ${standby} leaves the database fully available on ${primary}`, () => {
    const o = outcome(`site ${standby}`);
    expect(stateOf(o, primary, 'postgres')).toBe('up');
    expect(o.database).toEqual({ writes: [primary], reads: [primary] });
  });

  it(`losing ${primary} stops every write and leaves reads on ${standby}`, () => {
    const o = outcome(`site ${primary}`);
    expect(stateOf(o, standby, 'postgres')).toBe('read-only');
    expect(o.database).toEqual({ writes: [], reads: [standby] });
    expect(o.components.find((c) => c.site === standby && c.component === 'postgres')!.impact.reason).toMatch(/promot/);
  });

  it('says the same when only the primary database stops, and loses only the commits not yet streamed', () => {
    const o = outcome(`the primary database (${primary})`);
    expect(o.database).toEqual({ writes: [], reads: [standby] });
    expect(o.components.find((c) => c.site === primary && c.component === 'postgres')!.impact.loses).toMatch(/not yet streamed/);
  });

  it('keeps public traffic on a site when the other is lost, and has none without the edge', () => {
    expect(outcome(`site ${EDGE.split.mode === 'active-backup' ? EDGE.split.active : standby}`).publicTraffic).toHaveLength(1);
    expect(outcome('the edge proxy').publicTraffic).toEqual([]);
    for (const site of SITES) expect(outcome(`site ${site.name}`).publicTraffic).not.toContain(site.name);
  });

  it('keeps each site’s bus working when the other site or the link is lost', () => {
    for (const o of [outcome('the link between the sites'), ...SITES.map((s) => outcome(`site ${s.name}`))]) {
      for (const site of SITES.filter((s) => o.failure.kind !== 'site' || o.failure.site !== s.name)) {
        expect(stateOf(o, site.name, 'bus')).toBe('up');
      }
    }
  });
});

describe('seed 001: one node lost', () => {
  const nodeLosses = outcomes.filter((o) => o.failure.kind === 'node');

  it('covers every node of every site', () => {
    expect(nodeLosses.map((o) => o.title).sort()).toEqual(SITES.flatMap((s) => s.nodes.map((n) => `node ${n.name} of ${s.name}`)).sort());
  });

  it('stops no component but an in-cluster MinIO waiting for its volume, and what needs it; the others are up or degraded, with the reason', () => {
    for (const o of nodeLosses) {
      const down = o.components.filter((c) => c.impact.state === 'down').map((c) => `${c.site}/${c.component}`);
      // cluster2's object store is one MinIO server on an attached ReadWriteOnce volume: if it ran on
      // the lost node, it waits for the forced detach (6 min after its pod's deletion).
      expect(down).toEqual(o.failure.kind === 'node' && o.failure.site === 'cluster2' ? ['cluster2/object-store', 'cluster2/resizer'] : []);
      for (const c of o.components) {
        if (c.impact.state !== 'down')
          expect([c.site, c.component, c.impact.state]).toEqual([c.site, c.component, expect.stringMatching(/^(up|degraded)$/)]);
        expect(c.impact.reason.length).toBeGreaterThan(10);
      }
      const store = o.components.find((c) => c.site === 'cluster2' && c.component === 'object-store');
      if (store)
        expect(store.impact.reason).toMatch(
          /^one MinIO server runs 1 replica on a ReadWriteOnce volume attached to its node: if it was on the lost node, .* 50 s to NotReady and its 30 s toleration\) .*detaches it by force 360 s after the pod's deletion: down 440 s .*docs\/runbooks\/node-down\.md: sooner with the out-of-service taint/,
        );
    }
  });

  it('derives the stateful members lost from the capacity check’s placement: quorum kept, where the copy waits', () => {
    for (const o of nodeLosses) {
      const site = o.failure.kind === 'node' ? o.failure.site : '';
      const bus = o.components.find((c) => c.site === site && c.component === 'bus')!;
      // A bus server on every node: every node loss takes one.
      expect(bus.impact).toMatchObject({ state: 'degraded', reason: expect.stringMatching(/2 of 3 members up, quorum 2 kept/) });
      expect(bus.impact.loses).toBeUndefined();
      expect(o.capacityLeft).toMatch(/fullest node at \d+% CPU, \d+% memory/);
    }
    // Two keepers on three nodes: exactly two of each site's node losses take one.
    for (const site of SITES) {
      const keepers = nodeLosses.filter(
        (o) =>
          o.failure.kind === 'node' &&
          o.failure.site === site.name &&
          /stolon-keeper/.test(o.components.find((c) => c.site === site.name && c.component === 'postgres')!.impact.reason),
      );
      expect(keepers).toHaveLength(2);
    }
  });
});

class Silent extends PlatformComponent {}

describe('a component that states nothing', () => {
  it('is unknown in the report and fails validation naming the site and the component', () => {
    let error: unknown;
    try {
      renderTree(PLATFORM, { extend: (scope, context) => new Silent(scope, { name: 'silent', context }) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlatformError);
    const messages = (error as PlatformError).findings.filter((f) => f.field === 'declareFailureBehaviour');
    expect(messages.map((f) => [f.site, f.component])).toEqual(SITES.map((s) => [s.name, 'silent']));
    expect((error as PlatformError).message).toMatch(
      /site cluster1 \(sites\/cluster1\.ts\), component silent, field declareFailureBehaviour: states nothing about how it fails/,
    );
    const tree = renderTree(PLATFORM, { validate: false, extend: (scope, context) => new Silent(scope, { name: 'silent', context }) }).tree;
    expect(tree.get('REPORT.md')).toMatch(/\| cluster1 \| silent \| unknown \| states nothing about how it fails \|/);
  });
});

describe('gitops/REPORT.md and the diagram in gitops/README.md', () => {
  const tree = renderTree(PLATFORM).tree;

  it('are what synth renders, committed', () => {
    for (const file of ['REPORT.md', 'README.md']) {
      expect(fs.readFileSync(path.join(REPO_ROOT, 'gitops', file), 'utf8')).toBe(tree.get(file));
    }
  });

  it('parse with @mermaid-js/parser: the sites, their floating addresses, the edge and the links between them', () => {
    const files = ['README.md', 'REPORT.md'].map((f) => path.join(REPO_ROOT, 'gitops', f));
    const r = spawnSync(process.execPath, [path.join(__dirname, 'mermaid-parse.mjs'), ...files], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const blocks = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(blocks).toHaveLength(2);
    for (const block of blocks) {
      expect(block.error).toBeUndefined();
      expect(block.groups).toEqual(SITES.map((s) => s.name));
      const titles = (block.services as { title: string }[]).map((s) => s.title).join('\n');
      for (const site of SITES) for (const address of Object.values(site.loadBalancer.fixed)) expect(titles).toContain(address);
      expect(titles).toContain(EDGE.ipv4);
      const edges = (block.edges as { title: string }[]).map((e) => e.title);
      expect(edges).toEqual(expect.arrayContaining(['WAL streaming TLS', 'leafnode link TLS', 'active, PROXY v2', 'backup, PROXY v2']));
    }
  });

  it('is the diagram the README shows', () => {
    expect(fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).toContain(mermaidBlock(platformDiagram(facts, EDGE)));
  });

  it('a broken block is refused by the parser', () => {
    const broken = path.join(REPO_ROOT, 'dist', 'broken-diagram.md');
    fs.mkdirSync(path.dirname(broken), { recursive: true });
    fs.writeFileSync(broken, tree.get('README.md')!.replace('-[WAL streaming TLS]->', '-[WAL streaming TLS->'));
    try {
      const r = spawnSync(process.execPath, [path.join(__dirname, 'mermaid-parse.mjs'), broken], { encoding: 'utf8' });
      expect((JSON.parse(r.stdout.trim()) as { error?: string }).error).toMatch(/Parsing failed/);
    } finally {
      fs.rmSync(broken);
    }
  });
});

/** A component on every site that stops when another site is lost. */
class NeedsOtherSite extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext) {
    super(scope, { name: 'needs-other-site', context });
    this.declareFailureBehaviour({
      serves: 'a test component',
      nodeLoss: unaffected('a test component'),
      otherSiteLoss: { state: 'down', reason: 'reads from the other site' },
    });
  }
}

describe('the diff of a change that moves the failure report', () => {
  it('names each failure whose summary changes, medium when more stops', () => {
    const before = renderTree(PLATFORM, { validate: false }).tree;
    const after = renderTree(PLATFORM, { validate: false, extend: (scope, context) => new NeedsOtherSite(scope, context) }).tree;
    const report = semanticDiff(before, after).find((c): c is RatedFileChange => c.scope === 'file' && c.path === 'REPORT.md')!;
    expect(report.risk).toBe('medium');
    expect(report.notes.map((n) => [n.risk, n.reason])).toEqual(
      expect.arrayContaining([
        [
          'medium',
          'failure report, loss of site cluster2: down cluster2/* (site lost) → cluster2/* (site lost), cluster1/needs-other-site',
        ],
        [
          'medium',
          'failure report, loss of site cluster1: down cluster1/* (site lost) → cluster1/* (site lost), cluster2/needs-other-site',
        ],
      ]),
    );
    // Failures whose summary row did not change are not named.
    expect(report.notes.some((n) => n.reason.includes('loss of the edge proxy'))).toBe(false);
  });
});
