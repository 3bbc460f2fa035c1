/**
 * Argo CD access as rendered: the argocd-rbac-cm of each site, loaded into Argo CD's own casbin
 * model, answers seed 002's questions; Dex's GitHub connector signs in only the listed teams with
 * the OAuth app from Vault; bad access configuration is refused with its field.
 */
import { parse } from 'yaml';
import { accessFindings, rbacSettings } from '../charts/argocd/access';
import { renderSite, type KubeObject, type RenderedSite } from '../pipeline/render';
import { validateSite } from '../pipeline/validate';
import { PLATFORM, SITES } from '../sites';
import { ACCESS, type AccessConfig } from '../sites/access';
import { argoCdEnforcer, projectPolicy, type Caller, type RbacEnforcer } from './argocd-enforcer';

const rendered: RenderedSite[] = SITES.map((s) => renderSite(s, PLATFORM));

function object(site: RenderedSite, component: string, kind: string, name: string): KubeObject {
  const found = site.components.find((c) => c.name === component)?.objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${site.site.name}: no ${kind}/${name} in ${component}`);
  return found;
}
const dataOf = (o: KubeObject) => o.data as Record<string, string>;

const sre: Caller = { user: 'alice', groups: ['ClubCedille:SRE'] };
const exec: Caller = { user: 'bob', groups: ['ClubCedille:Exec'] };
const outsider: Caller = { user: 'eve', groups: ['ClubCedille:Members'] };
const noGroups: Caller = { user: 'mallory', groups: [] };

describe.each(rendered.map((r) => [r.site.name, r] as const))('Argo CD RBAC of %s, in Argo CD casbin model', (_name, site) => {
  let rbac: RbacEnforcer;
  beforeAll(async () => {
    rbac = await argoCdEnforcer(dataOf(object(site, 'argocd', 'ConfigMap', 'argocd-rbac-cm')));
  });

  it('lets an SRE operator do what seed 002 lists', async () => {
    for (const [res, act, obj] of [
      ['clusters', 'get', 'https://kubernetes.default.svc'],
      ['certificates', 'get', 'git.example'],
      ['repositories', 'get', 'https://github.com/ClubCedille/x'],
      ['applications', 'sync', 'platform/bus'],
      ['applications', 'sync', 'platform-root/root'],
      ['applications', 'create', 'team-images/new-app'],
      ['applications', 'delete', 'team-images/old-app'],
      ['gpgkeys', 'get', 'ABCDEF'],
      ['gpgkeys', 'create', 'ABCDEF'],
      ['gpgkeys', 'update', 'ABCDEF'],
      ['gpgkeys', 'delete', 'ABCDEF'],
    ] as const)
      await expect(rbac.can(sre, res, act, obj)).resolves.toBe(true);
  });

  it('refuses an SRE operator what seed 002 does not give, and Applications made or removed by hand in the platform', async () => {
    for (const [res, act, obj] of [
      // Only git makes and removes the platform's Applications: the reviewed rendered diff.
      ['applications', 'create', 'platform/new-app'],
      ['applications', 'delete', 'platform/resizer'],
      ['applications', 'create', 'platform-root/other-root'],
      ['applications', 'delete', 'platform-root/root'],
      ['projects', 'delete', 'platform'],
      ['projects', 'update', 'platform'],
      ['clusters', 'update', 'https://kubernetes.default.svc'],
      ['repositories', 'create', 'https://github.com/x/y'],
      ['applications', 'override', 'platform/bus'],
      ['exec', 'create', 'platform/postgres'],
      ['accounts', 'update', 'admin'],
    ] as const)
      await expect(rbac.can(sre, res, act, obj)).resolves.toBe(false);
  });

  it('makes an Exec member admin', async () => {
    await expect(rbac.can(exec, 'projects', 'delete', 'platform')).resolves.toBe(true);
    await expect(rbac.can(exec, 'exec', 'create', 'platform/postgres')).resolves.toBe(true);
    await expect(rbac.can(exec, 'clusters', 'update', 'in-cluster')).resolves.toBe(true);
    await expect(rbac.can(exec, 'applications', 'delete', 'platform/resizer')).resolves.toBe(true);
  });

  it('gives a signed-in user of no team read-only access: no sync, no change', async () => {
    for (const who of [outsider, noGroups]) {
      await expect(rbac.can(who, 'applications', 'get', 'platform/bus')).resolves.toBe(true);
      await expect(rbac.can(who, 'applications', 'sync', 'platform/bus')).resolves.toBe(false);
      await expect(rbac.can(who, 'applications', 'delete', 'platform/bus')).resolves.toBe(false);
      await expect(rbac.can(who, 'projects', 'delete', 'platform')).resolves.toBe(false);
    }
  });

  it("signs in through Dex's GitHub connector only the listed teams, with the OAuth app from Vault", () => {
    const cm = dataOf(object(site, 'argocd', 'ConfigMap', 'argocd-cm'));
    expect(cm['admin.enabled']).toBe('false');
    expect(cm.url).toBe(`https://argocd.${site.site.dns.siteHostname ?? site.site.dns.publicDomain}`);
    const dex = parse(cm['dex.config']!) as { connectors: { type: string; config: Record<string, unknown> }[] };
    expect(dex.connectors).toHaveLength(1);
    const { config } = dex.connectors[0]!;
    expect(dex.connectors[0]!.type).toBe('github');
    expect(config.orgs).toEqual([{ name: 'ClubCedille', teams: ['SRE', 'Exec'] }]);
    // `$<secret>:<key>`: Argo CD reads it from a Secret labelled part-of argocd, which an ExternalSecret writes.
    const [secret, key] = String(config.clientSecret).slice(1).split(':');
    const es = object(site, 'argocd', 'ExternalSecret', secret!) as KubeObject & {
      spec: {
        target: { template: { metadata: { labels: Record<string, string> } } };
        data: { secretKey: string; remoteRef: { key: string } }[];
      };
    };
    expect(es.spec.target.template.metadata.labels['app.kubernetes.io/part-of']).toBe('argocd');
    expect(es.spec.data.map((d) => d.secretKey)).toEqual(expect.arrayContaining([key, 'clientID']));
    expect(String(config.clientID)).toBe(`$${secret}:clientID`);
  });

  it('the bootstrap applies the same access settings as the argocd component', () => {
    for (const name of ['argocd-rbac-cm', 'argocd-cm'])
      expect(object(site, 'bootstrap', 'ConfigMap', name).data).toEqual(object(site, 'argocd', 'ConfigMap', name).data);
  });
});

describe('access configuration', () => {
  const withTeam = (team: AccessConfig['teams'][number], role?: AccessConfig['roles'][number]): AccessConfig => ({
    ...ACCESS,
    roles: [...ACCESS.roles, ...(role ? [role] : [])],
    teams: [...ACCESS.teams, team],
  });

  it('scopes a team to its own project: it syncs there and nowhere else', async () => {
    const access = withTeam(
      { team: 'Resizer', role: 'resizer-developers' },
      {
        name: 'resizer-developers',
        description: 'resizer team',
        permissions: [{ resource: 'applications', actions: ['sync'], projects: ['team-resizer'] }],
      },
    );
    const rbac = await argoCdEnforcer(rbacSettings({ ...access, defaultRole: 'none' }));
    const dev: Caller = { user: 'carol', groups: ['ClubCedille:Resizer'] };
    await expect(rbac.can(dev, 'applications', 'sync', 'team-resizer/images')).resolves.toBe(true);
    await expect(rbac.can(dev, 'applications', 'sync', 'platform/resizer')).resolves.toBe(false);
    await expect(rbac.can(dev, 'applications', 'get', 'platform/resizer')).resolves.toBe(false);
    // The project must exist on the site.
    expect(accessFindings(access, ['platform', 'platform-root']).map((f) => f.field)).toEqual(['access.roles[1].permissions[0].projects']);
    expect(accessFindings(access, ['platform', 'platform-root', 'team-resizer'])).toEqual([]);
  });

  it('with defaultRole none, a signed-in user of no team gets nothing', async () => {
    const rbac = await argoCdEnforcer(rbacSettings({ ...ACCESS, defaultRole: 'none' }));
    await expect(rbac.can(outsider, 'applications', 'get', 'platform/bus')).resolves.toBe(false);
    await expect(rbac.can(sre, 'applications', 'sync', 'platform/bus')).resolves.toBe(true);
  });

  it('refuses a team bound to an unknown role, twice the same team and a bad role name, naming the field', () => {
    const bad: AccessConfig = {
      ...ACCESS,
      roles: [...ACCESS.roles, { name: 'Bad Name', description: 'x', permissions: [{ resource: 'clusters', actions: ['get'] }] }],
      teams: [...ACCESS.teams, { team: 'SRE', role: 'operators' }],
    };
    const fields = accessFindings(bad, ['platform']).map((f) => `${f.field}: ${f.message}`);
    expect(fields).toEqual([
      "access.roles[1].name: role name 'Bad Name' must be lowercase letters, digits and dashes (sites/access.ts)",
      "access.teams[2].role: team SRE is bound to unknown role 'operators' (known: org-operators, Bad Name, admin, readonly) (sites/access.ts)",
      'access.teams[2].team: team SRE is bound twice (sites/access.ts)',
    ]);
  });

  it('refuses exceptPlatform where it withholds nothing or contradicts projects, naming the field', () => {
    const bad: AccessConfig = {
      ...ACCESS,
      roles: [
        {
          name: 'mixed',
          description: 'x',
          permissions: [
            { resource: 'clusters', actions: ['get'], exceptPlatform: true },
            { resource: 'applications', actions: ['create'], projects: ['platform'], exceptPlatform: true },
          ],
        },
      ],
      teams: [{ team: 'SRE', role: 'mixed' }],
    };
    expect(accessFindings(bad, ['platform', 'platform-root']).map((f) => `${f.field}: ${f.message}`)).toEqual([
      'access.roles[0].permissions[0].exceptPlatform: clusters belong to no project: remove exceptPlatform (sites/access.ts)',
      'access.roles[0].permissions[1].projects: platform named and withheld (exceptPlatform): drop one of the two (sites/access.ts)',
    ]);
  });

  it('a render with bad access configuration fails naming the site, the component and the field', () => {
    const access: AccessConfig = { ...ACCESS, teams: [{ team: 'SRE', role: 'nobody' }] };
    expect(() => renderSite(SITES[0]!, { ...PLATFORM, access })).toThrow(
      /site cluster1 \(sites\/cluster1\.ts\), component argocd, field access\.teams\[0\]\.role: team SRE is bound to unknown role 'nobody'/,
    );
  });
});

describe('a team project beside the platform (multi-team)', () => {
  const images = {
    name: 'team-images',
    description: 'the images team',
    teams: ['Images'],
    namespaces: ['images'],
    sourceRepos: ['https://github.com/ClubCedille/images.git'],
  };
  const access: AccessConfig = { ...ACCESS, teamProjects: [images] };
  const site = renderSite(SITES[0]!, { ...PLATFORM, access });
  const project = object(site, 'apps', 'AppProject', 'team-images') as KubeObject & { spec: Record<string, unknown> };
  const member: Caller = { user: 'dave', groups: ['ClubCedille:Images'] };

  it('deploys only namespaced application kinds, into its own namespaces, from its own repositories', () => {
    expect(project.spec.clusterResourceWhitelist).toEqual([]);
    const kinds = (project.spec.namespaceResourceWhitelist as { group: string; kind: string }[]).map((k) => `${k.group}/${k.kind}`);
    expect(kinds).toEqual(expect.arrayContaining(['apps/Deployment', 'external-secrets.io/ExternalSecret', 'projectcontour.io/HTTPProxy']));
    for (const forbidden of ['/Secret', 'rbac.authorization.k8s.io/RoleBinding', 'argoproj.io/Application'])
      expect(kinds).not.toContain(forbidden);
    expect(project.spec.destinations).toEqual([{ server: 'https://kubernetes.default.svc', namespace: 'images' }]);
    expect(project.spec.sourceRepos).toEqual(['https://github.com/ClubCedille/images.git']);
    // Schema, policy, sync order and projects all accept it.
    expect(validateSite(site).findings).toEqual([]);
  });

  it("gives the team's members its applications and nothing of the platform's, in Argo CD's model", async () => {
    const rbac = await argoCdEnforcer(dataOf(object(site, 'argocd', 'ConfigMap', 'argocd-rbac-cm')), projectPolicy(project));
    await expect(rbac.can(member, 'applications', 'sync', 'team-images/thumbnails')).resolves.toBe(true);
    await expect(rbac.can(member, 'applications', 'delete', 'team-images/thumbnails')).resolves.toBe(true);
    await expect(rbac.can(member, 'applications', 'sync', 'platform/resizer')).resolves.toBe(false);
    await expect(rbac.can(member, 'applications', 'delete', 'platform/postgres')).resolves.toBe(false);
    await expect(rbac.can(member, 'projects', 'update', 'team-images')).resolves.toBe(false);
    await expect(rbac.can(member, 'exec', 'create', 'team-images/thumbnails')).resolves.toBe(false);
    // The platform's own roles are unchanged by it.
    await expect(rbac.can(sre, 'applications', 'sync', 'team-images/thumbnails')).resolves.toBe(true);
    await expect(rbac.can(outsider, 'applications', 'sync', 'team-images/thumbnails')).resolves.toBe(false);
  });

  it('lets the team sign in through Dex', () => {
    const dex = parse(dataOf(object(site, 'argocd', 'ConfigMap', 'argocd-cm'))['dex.config']!) as {
      connectors: { config: { orgs: unknown } }[];
    };
    expect(dex.connectors[0]!.config.orgs).toEqual([{ name: 'ClubCedille', teams: ['SRE', 'Exec', 'Images'] }]);
  });

  it('refuses a team project reaching a platform namespace, naming the field', () => {
    const bad: AccessConfig = { ...ACCESS, teamProjects: [{ ...images, namespaces: ['images', 'postgres'] }] };
    expect(() => renderSite(SITES[0]!, { ...PLATFORM, access: bad })).toThrow(
      /component apps, field access\.teamProjects\[0\]\.namespaces\[1\]: namespace postgres belongs to the platform/,
    );
  });
});
