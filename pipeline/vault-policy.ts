/**
 * The Vault side of a site as a document, rendered from the same objects Argo CD applies: for each
 * Kubernetes service account that logs in to Vault (the External Secrets operator through the
 * ClusterSecretStore, cert-manager through a Vault ClusterIssuer), the policy of exactly the paths
 * it reads (HCL, and the same policy as JSON) and its Kubernetes auth role (the body of
 * `vault write auth/<mount>/role/<role>`). Vault's grants then cannot drift from what the
 * platform reads: a new VaultSecret adds its path here in the same commit.
 */
import type { KubeObject, RenderedSite } from './render';

/** One login to Vault and what it may do. */
export interface VaultGrant {
  /** Kubernetes auth mount (without `auth/`). */
  readonly authMount: string;
  /** Vault role the service account logs in as. */
  readonly role: string;
  /** The policy the role gets. */
  readonly policy: string;
  readonly serviceAccount: { readonly name: string; readonly namespace: string };
  /**
   * Audience the service account's token carries (cert-manager asks for `vault://<issuer>`).
   * @default none (the token's default audience)
   */
  readonly audience?: string;
  /** Vault API paths and their capabilities, sorted by path. */
  readonly paths: readonly { readonly path: string; readonly capabilities: readonly string[] }[];
}

const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const mountOf = (path: string) => path.replace(/^\/?v1\/auth\//, '').replace(/^auth\//, '');

/** The KV v2 API path External Secrets reads for `key` under the store's mount (external-secrets providers/v1/vault, buildPath). */
function kvDataPath(mount: string, key: string): string {
  const inMount = key.startsWith(`${mount}/`) ? key.slice(mount.length + 1) : key;
  return `${mount}/data/${inMount.replace(/^data\//, '')}`;
}

/** Every Vault login of the site, from its ClusterSecretStores with their ExternalSecrets and its Vault ClusterIssuers. */
export function vaultGrants(site: RenderedSite): VaultGrant[] {
  const objects: KubeObject[] = site.components.flatMap((c) => c.objects);
  const grants: VaultGrant[] = [];
  for (const store of objects.filter((o) => o.kind === 'ClusterSecretStore')) {
    const vault = rec(rec(rec(store.spec).provider).vault);
    const auth = rec(rec(vault.auth).kubernetes);
    if (!vault.path) continue;
    const mount = String(vault.path);
    const paths = new Set<string>();
    for (const es of objects.filter((o) => o.kind === 'ExternalSecret' && rec(rec(o.spec).secretStoreRef).name === store.metadata.name))
      for (const d of arr(rec(es.spec).data)) paths.add(kvDataPath(mount, String(rec(rec(d).remoteRef).key)));
    const sa = rec(auth.serviceAccountRef);
    grants.push({
      authMount: mountOf(String(auth.mountPath)),
      role: String(auth.role),
      policy: `platform-${site.site.name}-${String(sa.name)}`,
      serviceAccount: { name: String(sa.name), namespace: String(sa.namespace) },
      paths: [...paths].sort().map((path) => ({ path, capabilities: ['read'] })),
    });
  }
  for (const issuer of objects.filter((o) => o.kind === 'ClusterIssuer' && rec(o.spec).vault !== undefined)) {
    const vault = rec(rec(issuer.spec).vault);
    const auth = rec(rec(vault.auth).kubernetes);
    const sa = String(rec(auth.serviceAccountRef).name);
    // A ClusterIssuer's service account lives in cert-manager's namespace; its token's audience names the issuer.
    const namespace = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === sa)?.metadata.namespace ?? 'cert-manager';
    grants.push({
      authMount: mountOf(String(auth.mountPath)),
      role: String(auth.role),
      policy: `platform-${site.site.name}-${sa}`,
      serviceAccount: { name: sa, namespace },
      audience: `vault://${issuer.metadata.name}`,
      paths: [{ path: String(vault.path), capabilities: ['create', 'update'] }],
    });
  }
  return grants;
}

function policyHcl(grant: VaultGrant): string {
  const blocks = grant.paths.map((p) => `path "${p.path}" {\n  capabilities = [${p.capabilities.map((c) => `"${c}"`).join(', ')}]\n}\n`);
  return [
    `# Policy ${grant.policy}: what ${grant.serviceAccount.namespace}/${grant.serviceAccount.name} reads. Rendered by npm run synth: do not edit.`,
    ...blocks,
  ].join('\n');
}

function policyJson(grant: VaultGrant): string {
  const path = Object.fromEntries(grant.paths.map((p) => [p.path, { capabilities: [...p.capabilities] }]));
  return `${JSON.stringify({ path }, null, 2)}\n`;
}

function roleJson(grant: VaultGrant): string {
  const body = {
    bound_service_account_names: [grant.serviceAccount.name],
    bound_service_account_namespaces: [grant.serviceAccount.namespace],
    ...(grant.audience ? { audience: grant.audience } : {}),
    token_policies: [grant.policy],
    token_ttl: '1h',
    token_max_ttl: '4h',
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** The file the Vault operator saves the site's cluster CA certificate as (the README's commands read it). */
const CLUSTER_CA_FILE = 'cluster-ca.crt';

/** The files of gitops/<site>/vault/, by file name. */
export function vaultFiles(site: RenderedSite): Map<string, string> {
  const files = new Map<string, string>();
  const grants = vaultGrants(site);
  const { apiServer } = site.site.network;
  // Once per auth mount. No token_reviewer_jwt: Vault reviews each login with its own token, which
  // the service account's binding to system:auth-delegator allows (charts/lib/vault-login.ts).
  const mounts = [...new Set(grants.map((g) => g.authMount))].sort();
  const setup = mounts.flatMap((mount) => [
    `vault auth enable -path=${mount} kubernetes`,
    `vault write auth/${mount}/config kubernetes_host=https://${apiServer.address}:${apiServer.port} kubernetes_ca_cert=@${CLUSTER_CA_FILE}`,
  ]);
  const steps: string[] = [];
  for (const g of grants) {
    files.set(`${g.policy}.policy.hcl`, policyHcl(g));
    files.set(`${g.policy}.policy.json`, policyJson(g));
    files.set(`${g.policy}.role.json`, roleJson(g));
    steps.push(
      `vault policy write ${g.policy} ${g.policy}.policy.hcl`,
      `vault write auth/${g.authMount}/role/${g.role} @${g.policy}.role.json`,
    );
  }
  const readme = [
    `# Vault for site ${site.site.name}`,
    '',
    'Rendered by `npm run synth` from the ExternalSecrets and issuers of this site: do not edit. Argo CD does not',
    "apply this directory; Vault's operator does, from this directory, after every change to it:",
    '',
    '```sh',
    ...steps,
    '```',
    '',
    `Once, when the site is built: the Kubernetes auth mount, reaching the site's API server (\`${CLUSTER_CA_FILE}\` is`,
    "the cluster's CA certificate, `/etc/kubernetes/ssl/ca.crt` on a control-plane node). Vault is given no reviewer",
    'token: it checks each login by calling the TokenReview API with the token logged in with, which every service',
    'account above may do (a ClusterRoleBinding to `system:auth-delegator`, rendered with it).',
    '',
    '```sh',
    ...setup,
    '```',
    '',
  ];
  if (grants.length > 0) files.set('README.md', readme.join('\n'));
  return files;
}
