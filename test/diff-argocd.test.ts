/**
 * The rendered diff rates changes to who may do what through Argo CD: more grants in
 * argocd-rbac-cm (high when a team becomes admin), a project allowing more kinds, a new team
 * project, the local admin enabled again.
 */
import { ApiObject } from 'cdk8s';
import { PlatformComponent } from '../charts/component';
import { semanticDiff, type RatedObjectChange } from '../pipeline/diff';
import { renderTree } from '../pipeline/synth';
import { PLATFORM } from '../sites';
import { ACCESS, type AccessConfig } from '../sites/access';
import { PLATFORM_FILES } from './diff-helpers';

const access: AccessConfig = {
  ...ACCESS,
  teams: [...ACCESS.teams, { team: 'Ops', role: 'org-operators' }, { team: 'Board', role: 'admin' }],
  teamProjects: [
    {
      name: 'team-images',
      description: 'images',
      teams: ['Images'],
      namespaces: ['images'],
      sourceRepos: ['https://git.example/images.git'],
    },
  ],
};

const changes = semanticDiff(
  PLATFORM_FILES,
  renderTree(
    { ...PLATFORM, access },
    {
      validate: false,
      extend: (scope, context) => {
        const c = new (class extends PlatformComponent {})(scope, { name: 'limits', context, namespace: 'limits' });
        c.ownNamespace({ name: 'limits', podSecurity: 'restricted' });
        new ApiObject(c, 'limits', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits' }, spec: { limits: [] } });
      },
    },
  ).tree,
) as RatedObjectChange[];

function notesOf(id: string, component: string): string[] {
  const found = changes.find((c) => c.site === 'cluster1' && c.component === component && c.id === id);
  if (!found) throw new Error(`no change of ${id}`);
  return found.notes.map((n) => `${n.risk} ${n.path ?? ''}: ${n.reason}`);
}

describe('ratings of Argo CD access changes', () => {
  it('rates grants added to argocd-rbac-cm, high when a team becomes admin, and a Dex change medium', () => {
    const notes = notesOf('ConfigMap/argocd-rbac-cm', 'argocd');
    expect(notes).toEqual([
      'high data.policy.csv: Argo CD grants more: g, ClubCedille:Ops, role:org-operators; g, ClubCedille:Board, role:admin',
    ]);
    expect(notesOf('ConfigMap/argocd-cm', 'argocd')).toEqual(['medium data.dex.config: who may sign in changes (Dex connectors)']);
  });

  it('rates a project allowing a new kind, and a new team project, medium', () => {
    expect(notesOf('AppProject/argocd/platform', 'apps')).toEqual(
      expect.arrayContaining([
        'medium spec.namespaceResourceWhitelist: project allows more kinds: /LimitRange',
        'medium spec.destinations: project deploys to more namespaces: https://kubernetes.default.svc limits',
      ]),
    );
    expect(notesOf('AppProject/argocd/team-images', 'apps')).toEqual([
      expect.stringMatching(
        /^medium spec.roles: project roles grant more: p, proj:team-images:members, applications, get, team-images\/\*, allow;/,
      ),
    ]);
  });

  it('rates the local admin enabled again high', () => {
    const file = 'cluster1/argocd/configmap-argocd-cm.yaml';
    const after = new Map(PLATFORM_FILES);
    after.set(file, PLATFORM_FILES.get(file)!.replace('admin.enabled: "false"', 'admin.enabled: "true"'));
    const [change] = semanticDiff(PLATFORM_FILES, after) as RatedObjectChange[];
    expect(change!.risk).toBe('high');
    expect(change!.notes.map((n) => n.reason)).toEqual([expect.stringContaining('the local admin account is enabled again')]);
  });
});
