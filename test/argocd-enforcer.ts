/**
 * Argo CD's RBAC enforcer rebuilt on casbin, the library Argo CD itself runs, to ask the rendered
 * argocd-rbac-cm the questions the access configuration answers. Restated from
 * argoproj/argo-cd@v3.5.1: the model (assets/model.conf), the built-in roles
 * (assets/builtin-policy.csv), the glob matcher (util/rbac/rbac.go, globMatchFunc over
 * util/glob) and how a request is decided (util/rbac/rbac.go, `enforce`: the default role first,
 * then the subject; server/rbacpolicy: the user, then each of the token's groups).
 */
import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from 'casbin';

const MODEL = `
[request_definition]
r = sub, res, act, obj

[policy_definition]
p = sub, res, act, obj, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && globOrRegexMatch(r.res, p.res) && globOrRegexMatch(r.act, p.act) && globOrRegexMatch(r.obj, p.obj)
`;

/** The two built-in roles: readonly reads everything but secrets, admin does everything. */
const READONLY_GETS: readonly [string, string][] = [
  ['applications', '*/*'],
  ['applicationsets', '*/*'],
  ['certificates', '*'],
  ['clusters', '*'],
  ['repositories', '*'],
  ['write-repositories', '*'],
  ['projects', '*'],
  ['accounts', '*'],
  ['gpgkeys', '*'],
  ['logs', '*/*'],
];
const ADMIN_GRANTS: readonly [string, string, string][] = [
  ...['create', 'update', 'update/*', 'delete', 'delete/*', 'sync', 'override', 'action/*'].map(
    (a) => ['applications', a, '*/*'] as [string, string, string],
  ),
  ...['get', 'create', 'update', 'delete'].map((a) => ['applicationsets', a, '*/*'] as [string, string, string]),
  ...['certificates', 'clusters', 'repositories', 'write-repositories', 'projects'].flatMap((r) =>
    ['create', 'update', 'delete'].map((a) => [r, a, '*'] as [string, string, string]),
  ),
  ['accounts', 'update', '*'],
  ['gpgkeys', 'create', '*'],
  ['gpgkeys', 'delete', '*'],
  ['exec', 'create', '*/*'],
];
export const BUILT_IN_POLICY = [
  ...READONLY_GETS.map(([res, obj]) => `p, role:readonly, ${res}, get, ${obj}, allow`),
  ...ADMIN_GRANTS.map(([res, act, obj]) => `p, role:admin, ${res}, ${act}, ${obj}, allow`),
  'g, role:admin, role:readonly',
  'g, admin, role:admin',
].join('\n');

/** gobwas/glob without separators, as Argo CD compiles RBAC patterns: `*` is any run of characters. */
function globMatch(value: string, pattern: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

/**
 * The policy an AppProject's roles add, as Argo CD builds it
 * (argoproj/argo-cd@v3.5.1:pkg/apis/application/v1alpha1/app_project_types.go, ProjectPoliciesString).
 */
export function projectPolicy(project: { metadata: { name: string }; spec?: unknown }): string {
  const name = project.metadata.name;
  const roles = (project.spec as { roles?: { name: string; policies?: string[]; groups?: string[] }[] }).roles ?? [];
  return roles
    .flatMap((role) => [
      `p, proj:${name}:${role.name}, projects, get, ${name}, allow`,
      ...(role.policies ?? []),
      ...(role.groups ?? []).map((group) => `g, ${group}, proj:${name}:${role.name}`),
    ])
    .join('\n');
}

/** A signed-in user: their name and the groups of their token. */
export interface Caller {
  readonly user: string;
  readonly groups: readonly string[];
}

/** Argo CD's decision on (caller, resource, action, object) for one argocd-rbac-cm. */
export interface RbacEnforcer {
  can(caller: Caller, resource: string, action: string, object: string): Promise<boolean>;
}

/** An enforcer of `rbac` (argocd-rbac-cm's data) plus `projectPolicy` (what AppProjects' roles add). */
export async function argoCdEnforcer(rbac: Readonly<Record<string, string>>, projectPolicy = ''): Promise<RbacEnforcer> {
  const csv = [BUILT_IN_POLICY, rbac['policy.csv'] ?? '', projectPolicy]
    .join('\n')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .join('\n');
  const enforcer: Enforcer = await newEnforcer(newModelFromString(MODEL), new StringAdapter(csv));
  await enforcer.addFunction('globOrRegexMatch', (value: string, pattern: string) => globMatch(value, pattern));
  const defaultRole = rbac['policy.default'] ?? '';
  return {
    async can(caller, resource, action, object) {
      const subjects = [...(defaultRole ? [defaultRole] : []), caller.user, ...caller.groups];
      for (const subject of subjects) if (await enforcer.enforce(subject, resource, action, object)) return true;
      return false;
    },
  };
}
