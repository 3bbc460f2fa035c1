/**
 * Kubernetes-version compatibility (pipeline/validate/compatibility.ts and the schema of the
 * site's release): the committed sites pass with the two pins they accept; a site on a release a
 * pin does not state support for is refused, naming the site, the component, the pin and its
 * range; so is a site on a release whose schema is not imported, and an acceptance that outlived
 * its pin. README's table of pins is what the render installs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRange, inRange, kubernetesMinor, pinOf } from '../charts/lib/upstream';
import { formatFinding, PlatformError } from '../model/errors';
import { renderSite, type RenderedSite } from '../pipeline/render';
import { synth } from '../pipeline/synth';
import { validateSite } from '../pipeline/validate';
import { installedReleases } from '../pipeline/validate/compatibility';
import { PLATFORM, SITES, type Site } from '../sites';
import { REPO_ROOT, tempDir, treeDigest, withChange } from './helpers';

const cluster1 = SITES.find((s) => s.name === 'cluster1')!;

/** cluster1 changed by `change`, rendered with the other committed sites. */
function renderChanged(change: (d: Record<string, unknown>) => void): RenderedSite {
  const site = withChange(cluster1, change);
  const sites: Site[] = SITES.map((s) => (s.name === site.name ? site : s));
  return renderSite(site, { ...PLATFORM, sites });
}

const messages = (r: RenderedSite): string[] => validateSite(r).findings.map(formatFinding);
const committed = SITES.map((s) => renderSite(s, PLATFORM));

describe('the committed sites', () => {
  it.each(SITES.map((s) => s.name))('%s: every pin supports its release or is accepted, and its schema is imported', (name) => {
    const rendered = committed.find((r) => r.site.name === name)!;
    expect(messages(rendered)).toEqual([]);
    const accepted = validateSite(rendered).exceptions.filter((e) => e.includes(', outside its range, '));
    expect(accepted).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${name}: runs contour@0\\.7\\.0 \\(Contour v1\\.33\\.6\\) on Kubernetes 1\\.36, outside its range, tested on Kubernetes 1\\.32 to 1\\.34 \\(projectcontour/contour@[0-9a-f]+:changelogs/CHANGELOG-v1\\.33\\.6\\.md\\): no Contour release`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^${name}: runs keda@2\\.20\\.2 \\(KEDA v2\\.20\\.2\\) on Kubernetes 1\\.36, outside its range, tested on Kubernetes 1\\.33 to 1\\.35 `,
        ),
      ),
    ]);
  });

  it('install every upstream release through its table, cited as owner/repo@ref:path', () => {
    const installed = installedReleases(committed[0]!);
    expect(installed.map(({ release }) => pinOf(release)).sort()).toEqual([
      'argo-cd@v3.5.1',
      'cert-manager@v1.21.1',
      'contour@0.7.0',
      'external-secrets@2.9.0',
      'keda@2.20.2',
      'kube-prometheus-stack@88.3.0',
      'mayastor@2.7.1',
      'metallb@0.16.1',
      'metrics-server@3.13.1',
      'reloader@2.2.16',
    ]);
    for (const { release } of installed) {
      expect(release.kubernetes.source).toMatch(/^[\w.-]+\/[\w.-]+@[\w.-]+:\S+$/);
      const newest = release.kubernetes.newest;
      if (newest !== undefined) expect(kubernetesMinor(newest)!).toBeGreaterThanOrEqual(kubernetesMinor(release.kubernetes.oldest)!);
    }
    // Helm charts and released manifests come from the tables only.
    for (const component of committed[0]!.components) {
      const helm = component.helmChart;
      if (helm) expect(component.upstreamReleases).toContain(helm.upstream);
      const urls = component.upstreamReleases.flatMap((r) =>
        'manifests' in r ? r.manifests.map((p) => `https://raw.githubusercontent.com/${r.release.repo}/${r.release.ref}/${p}`) : [],
      );
      expect(component.kustomize.remoteResources ?? []).toEqual(urls);
    }
  });
});

describe('synth refuses', () => {
  it('a site on 1.36 without the acceptances, naming the site, the component, the pin and its range; gitops/ unchanged', () => {
    const { dir, cleanup } = tempDir();
    try {
      synth({ root: dir, model: PLATFORM });
      const before = treeDigest(path.join(dir, 'gitops'));
      const site = withChange(cluster1, (d) => delete d.compatibility);
      const model = { ...PLATFORM, sites: SITES.map((s) => (s.name === site.name ? site : s)) };
      let error: unknown;
      try {
        synth({ root: dir, model });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(PlatformError);
      expect((error as PlatformError).message.split('\n')).toEqual([
        "site cluster1 (sites/cluster1.ts), component contour, field kubernetesVersion: Kubernetes 1.36 is outside the range of contour@0.7.0 (Contour v1.33.6), tested on Kubernetes 1.32 to 1.34 (projectcontour/contour@31c4bb38:changelogs/CHANGELOG-v1.33.6.md): move the pin to a release that supports 1.36, or accept it in compatibility.acceptOutsideRange['contour@0.7.0'] with the reason",
        "site cluster1 (sites/cluster1.ts), component keda, field kubernetesVersion: Kubernetes 1.36 is outside the range of keda@2.20.2 (KEDA v2.20.2), tested on Kubernetes 1.33 to 1.35 (kedacore/keda-docs@a55c5d34:content/docs/2.20/operate/cluster.md): move the pin to a release that supports 1.36, or accept it in compatibility.acceptOutsideRange['keda@2.20.2'] with the reason",
      ]);
      expect(treeDigest(path.join(dir, 'gitops'))).toBe(before);
    } finally {
      cleanup();
    }
  });

  // Kubernetes 1.28, where the sites started: cert-manager 1.21 and External Secrets 2.9 install
  // CRDs with `selectableFields`, which 1.28 does not know, so ESO never starts. Their ranges say so.
  it('a site on 1.28: cert-manager and External Secrets (and the other pins) do not support it, and no 1.28 schema is imported', () => {
    const found = messages(renderChanged((d) => (d.kubernetesVersion = '1.28')));
    expect(found).toEqual(
      expect.arrayContaining([
        "site cluster1 (sites/cluster1.ts), component cert-manager, field kubernetesVersion: Kubernetes 1.28 is outside the range of cert-manager@v1.21.1 (cert-manager v1.21.1), tested on Kubernetes 1.33 to 1.36 (cert-manager/website@776e5dba:content/docs/releases/README.md): move the pin to a release that supports 1.28, or accept it in compatibility.acceptOutsideRange['cert-manager@v1.21.1'] with the reason",
        expect.stringMatching(
          /^site cluster1 \(sites\/cluster1\.ts\), component external-secrets, field kubernetesVersion: Kubernetes 1\.28 is outside the range of external-secrets@2\.9\.0 \(External Secrets Operator v2\.9\.0\), tested on Kubernetes 1\.36 only \(external-secrets\/external-secrets@helm-chart-2\.9\.0:docs\/introduction\/stability-support\.md\)/,
        ),
        'site cluster1 (sites/cluster1.ts), field kubernetesVersion: no Kubernetes 1.28 schema is imported (imports/validators/ holds 1.36): add its _definitions.json to KUBERNETES_SCHEMAS in tools/upstream-inputs.ts and run npm run import',
      ]),
    );
    const components = found.map((m) => /component ([\w-]+), field kubernetesVersion/.exec(m)?.[1]).filter(Boolean);
    // Argo CD is installed by both its own directory and bootstrap; Mayastor states only "1.21+".
    expect(components.sort()).toEqual(['argocd', 'bootstrap', 'cert-manager', 'external-secrets', 'metallb', 'metrics-server']);
  });

  it('a site on a release newer than the pins are tested on, whose schema is not imported either', () => {
    const found = messages(renderChanged((d) => (d.kubernetesVersion = '1.37')));
    expect(found).toContain(
      "site cluster1 (sites/cluster1.ts), component argocd, field kubernetesVersion: Kubernetes 1.37 is outside the range of argo-cd@v3.5.1 (Argo CD v3.5.1), tested on Kubernetes 1.33 to 1.36 (argoproj/argo-cd@v3.5.1:docs/operator-manual/tested-kubernetes-versions.md): move the pin to a release that supports 1.37, or accept it in compatibility.acceptOutsideRange['argo-cd@v3.5.1'] with the reason",
    );
    expect(found).toContainEqual(expect.stringMatching(/field kubernetesVersion: no Kubernetes 1\.37 schema is imported/));
    const components = found.map((m) => /component ([\w-]+), field kubernetesVersion/.exec(m)?.[1]).filter(Boolean);
    // Contour and KEDA stay accepted; the open-ended ranges (MetalLB, Mayastor, metrics-server) include 1.37.
    expect(components.sort()).toEqual(['argocd', 'bootstrap', 'cert-manager', 'external-secrets']);
  });

  it.each([
    [
      'an acceptance of a pin no longer installed',
      { 'contour@0.6.0': 'old' },
      'field compatibility.acceptOutsideRange.contour@0.6.0: no component of this site installs contour@0.6.0 (the pin is now contour@0.7.0): remove the acceptance, or renew it for the new pin',
    ],
    [
      'an acceptance of a pin inside its range',
      { 'cert-manager@v1.21.1': 'not needed' },
      'field compatibility.acceptOutsideRange.cert-manager@v1.21.1: cert-manager@v1.21.1 (cert-manager v1.21.1) is tested on Kubernetes 1.33 to 1.36 (cert-manager/website@776e5dba:content/docs/releases/README.md), which includes 1.36: remove the acceptance',
    ],
    [
      'an acceptance of a release no component installs',
      { 'nginx@1.0.0': 'typo' },
      'field compatibility.acceptOutsideRange.nginx@1.0.0: no component of this site installs nginx@1.0.0 (pins installed: argo-cd@v3.5.1, cert-manager@v1.21.1, contour@0.7.0, external-secrets@2.9.0, keda@2.20.2, kube-prometheus-stack@88.3.0, mayastor@2.7.1, metallb@0.16.1, metrics-server@3.13.1, reloader@2.2.16): remove the acceptance, or renew it for the new pin',
    ],
  ])('%s', (_what, extra, message) => {
    const found = messages(
      renderChanged((d) => {
        const compatibility = d.compatibility as { acceptOutsideRange: Record<string, string> };
        d.compatibility = { acceptOutsideRange: { ...compatibility.acceptOutsideRange, ...extra } };
      }),
    );
    expect(found).toEqual([`site cluster1 (sites/cluster1.ts), ${message}`]);
  });

  it('the acceptance of a component the site leaves out', () => {
    const found = messages(renderChanged((d) => (d.components = { optOut: { keda: 'test', resizer: 'test' } })));
    expect(found).toEqual([
      expect.stringMatching(
        /field compatibility\.acceptOutsideRange\.keda@2\.20\.2: no component of this site installs keda@2\.20\.2 \(pins installed: /,
      ),
    ]);
  });
});

it("README's table of pins and their Kubernetes ranges is what the committed sites install", () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Kubernetes releases'));
  const rows = section
    .slice(0, section.indexOf('\n## ', 3))
    .split('\n')
    .filter((l) => /^\| `[\w-]+@/.test(l))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  const release = cluster1.kubernetesVersion;
  const expected = installedReleases(committed[0]!)
    .map(({ release: r, components }) => [
      `\`${pinOf(r)}\``,
      `${r.project} ${r.release.ref}`,
      components.join(', '),
      `${describeRange(r.kubernetes)} (${r.kubernetes.basis})`,
      `\`${r.kubernetes.source}\``,
      inRange(r.kubernetes, release) ? 'yes' : 'accepted',
    ])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  expect(rows).toEqual(expected);
  expect(SITES.every((s) => s.kubernetesVersion === release)).toBe(true);
  const header = section.split('\n').find((l) => l.startsWith('| pin '))!;
  expect(header.split('|').map((c) => c.trim())).toEqual([
    '',
    'pin',
    'project release',
    'installed by',
    'Kubernetes',
    'stated in',
    `on ${release}`,
    '',
  ]);
});
