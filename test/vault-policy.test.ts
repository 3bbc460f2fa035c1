/**
 * The Vault document of each site (gitops/<site>/vault/): its HCL parsed by HashiCorp's HCL
 * parser (hcl2-parser: hashicorp/hcl v2 compiled to JavaScript), equal to its JSON twin, granting
 * exactly the KV paths the site's ExternalSecrets read (read only), to the service account the
 * ClusterSecretStore logs in as; a Vault PKI issuer adds its own role.
 */
import { parseToObject } from 'hcl2-parser';
import { siteFiles } from '../pipeline/files';
import { renderSite, type RenderedSite } from '../pipeline/render';
import { vaultGrants } from '../pipeline/vault-policy';
import { PLATFORM, SITES } from '../sites';
import { withChange } from './helpers';

type Policy = { path: Record<string, { capabilities: string[] }> };

/** The HCL as the parser reads it, in the shape of Vault's JSON policies. */
function parseHcl(text: string): Policy {
  const [parsed, error] = parseToObject(text) as [{ path: Record<string, { capabilities: string[] }[]> } | null, unknown];
  if (!parsed) throw new Error(`HCL does not parse: ${JSON.stringify(error)}`);
  return { path: Object.fromEntries(Object.entries(parsed.path).map(([p, [block]]) => [p, { capabilities: block!.capabilities }])) };
}

function vaultDir(site: RenderedSite): Map<string, string> {
  const prefix = `${site.site.name}/vault/`;
  return new Map([...siteFiles(site)].filter(([p]) => p.startsWith(prefix)).map(([p, c]) => [p.slice(prefix.length), c]));
}

describe.each(SITES.map((s) => [s.name, renderSite(s, PLATFORM)] as const))('the Vault document of %s', (name, site) => {
  const files = vaultDir(site);
  const policyName = `platform-${name}-external-secrets`;

  it('parses as HCL, and says what its JSON twin says', () => {
    const hcl = parseHcl(files.get(`${policyName}.policy.hcl`)!);
    expect(hcl).toEqual(JSON.parse(files.get(`${policyName}.policy.json`)!));
    expect(() => parseHcl('path "x" {\n  capabilities = ["read"\n}\n')).toThrow(/does not parse/);
  });

  it("grants read on exactly the KV v2 data paths the site's ExternalSecrets read, nothing wider", () => {
    const { path } = parseHcl(files.get(`${policyName}.policy.hcl`)!);
    const expected = new Set(
      site.components
        .flatMap((c) => c.objects)
        .filter((o) => o.kind === 'ExternalSecret')
        .flatMap((o) => (o.spec as { data: { remoteRef: { key: string } }[] }).data.map((d) => `platform/data/${d.remoteRef.key}`)),
    );
    expect(Object.keys(path).sort()).toEqual([...expected].sort());
    expect(Object.keys(path)).toEqual(
      expect.arrayContaining([`platform/data/certificates/${name}/tsig`, `platform/data/argocd/github-oauth/${name}`]),
    );
    for (const [p, { capabilities }] of Object.entries(path)) {
      expect(p).not.toMatch(/[*+]/);
      expect(capabilities).toEqual(['read']);
    }
  });

  it('binds the policy to the service account the ClusterSecretStore logs in as, on the site own auth mount', () => {
    expect(JSON.parse(files.get(`${policyName}.role.json`)!)).toEqual({
      bound_service_account_names: ['external-secrets'],
      bound_service_account_namespaces: ['external-secrets'],
      token_policies: [policyName],
      token_ttl: '1h',
      token_max_ttl: '4h',
    });
    expect(files.get('README.md')).toContain(
      `vault write auth/${site.site.vault.authMount}/role/${site.site.vault.authRole} @${policyName}.role.json`,
    );
  });
});

/**
 * Vault is configured without a reviewer token (the README's `config` step), so it reviews each
 * login with the login's own token: every service account that logs in must be allowed to create
 * TokenReviews, through Kubernetes' own ClusterRole for it, and no other service account is.
 */
function expectVaultLoginsMayReviewTokens(site: RenderedSite): void {
  const objects = site.components.flatMap((c) => c.objects);
  type Binding = { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };
  const delegated = objects
    .filter((o) => o.kind === 'ClusterRoleBinding')
    .map((o) => o as unknown as Binding)
    .filter((b) => b.roleRef.kind === 'ClusterRole' && b.roleRef.name === 'system:auth-delegator')
    .flatMap((b) => b.subjects.map((s) => `${s.kind}/${s.namespace}/${s.name}`));
  const grants = vaultGrants(site);
  expect(grants.length).toBeGreaterThan(0);
  expect(delegated.sort()).toEqual(grants.map((g) => `ServiceAccount/${g.serviceAccount.namespace}/${g.serviceAccount.name}`).sort());
  const readme = vaultDir(site).get('README.md')!;
  const { address, port } = site.site.network.apiServer;
  for (const mount of new Set(grants.map((g) => g.authMount))) {
    expect(readme).toContain(`vault auth enable -path=${mount} kubernetes`);
    expect(readme).toMatch(
      new RegExp(`vault write auth/${mount}/config kubernetes_host=https://${address}:${port} kubernetes_ca_cert=@\\S+\n`),
    );
    expect(readme).not.toContain('token_reviewer_jwt=');
  }
}

it.each(SITES.map((s) => [s.name, s] as const))(
  'every service account of %s that logs in to Vault may have its token reviewed, and the mount is configured to',
  (_n, site) => {
    expectVaultLoginsMayReviewTokens(renderSite(site, PLATFORM));
  },
);

it('a site issuing from Vault PKI adds cert-manager role: sign only, with the audience cert-manager asks for', () => {
  const site = withChange(SITES[0]!, (d) => {
    d.certificates = { kind: 'vault-pki', path: 'pki_int/sign/platform', role: 'cert-manager' };
  });
  const rendered = renderSite(site, { ...PLATFORM, sites: SITES.map((s) => (s.name === site.name ? site : s)) });
  expectVaultLoginsMayReviewTokens(rendered);
  const grants = vaultGrants(rendered);
  const pki = grants.find((g) => g.serviceAccount.name === 'cert-manager-vault-issuer')!;
  expect(pki).toMatchObject({
    authMount: site.vault.authMount,
    role: 'cert-manager',
    serviceAccount: { namespace: 'cert-manager' },
    paths: [{ path: 'pki_int/sign/platform', capabilities: ['create', 'update'] }],
  });
  expect(pki.audience).toMatch(/^vault:\/\/[a-z0-9-]+$/);
  // The TSIG key is no longer read: ACME is not used.
  expect(grants.flatMap((g) => g.paths.map((p) => p.path))).not.toContain(`platform/data/certificates/${site.name}/tsig`);
});

it("gives each site's Argo CD an OAuth app of its own, as each sends GitHub its own callback URL", () => {
  const perSite = SITES.map((s) => {
    const objects = renderSite(s, PLATFORM).components.flatMap((c) => c.objects);
    const oauth = objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'argocd-github-oauth')!;
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'argocd-cm')!;
    const keys = (oauth.spec as { data: { remoteRef: { key: string } }[] }).data.map((d) => d.remoteRef.key);
    return { url: (cm as unknown as { data: { url: string } }).data.url, apps: [...new Set(keys)] };
  });
  for (const { apps } of perSite) expect(apps).toHaveLength(1);
  expect(new Set(perSite.map((p) => p.url)).size).toBe(SITES.length);
  expect(new Set(perSite.map((p) => p.apps[0])).size).toBe(SITES.length);
});
