/**
 * Other teams' AppProjects (sites/access.ts, `teamProjects`): one per team project on every site,
 * beside the platform's. A team's Applications may deploy only the namespaced kinds of an
 * application (TEAM_KINDS: no cluster-scoped kind, no Secret, no RBAC) into the team's namespaces,
 * from the team's repositories; the project's role gives the team's members its applications and
 * nothing else, so the platform's RBAC (argocd-rbac-cm) needs no line per team.
 */
import { AppProject } from '../../imports/argocd-argoproj.io';
import type { AccessConfig, TeamProject } from '../../sites/access';
import type { PlatformComponent } from '../component';
import type { KindsByGroup } from '../lib/upstream';
import { commonLabels } from '../lib/labels';
import { teamGroup } from './access';
import { APPS_DIRECTORY, ARGOCD_NAMESPACE, IN_CLUSTER, PROJECT, ROOT_PROJECT } from './constants';
import { waveAnnotation } from './root';

/** What a team's application may consist of: workloads, their configuration, routes and Vault secrets. */
export const TEAM_KINDS: KindsByGroup = {
  '': ['ConfigMap', 'PersistentVolumeClaim', 'Service', 'ServiceAccount'],
  apps: ['Deployment', 'StatefulSet'],
  autoscaling: ['HorizontalPodAutoscaler'],
  batch: ['CronJob', 'Job'],
  'cert-manager.io': ['Certificate'],
  'external-secrets.io': ['ExternalSecret'],
  'networking.k8s.io': ['NetworkPolicy'],
  policy: ['PodDisruptionBudget'],
  'projectcontour.io': ['HTTPProxy'],
};

/** The project role of a team project's members. */
export const TEAM_ROLE = 'members';

/** The role's policy lines, in Argo CD's project-role form (`proj:<project>:<role>`, objects `<project>/*`). */
export function teamPolicies(project: TeamProject): string[] {
  const subject = `proj:${project.name}:${TEAM_ROLE}`;
  return [
    ...['get', 'create', 'update', 'sync', 'delete'].map((action) => `p, ${subject}, applications, ${action}, ${project.name}/*, allow`),
    `p, ${subject}, logs, get, ${project.name}/*, allow`,
  ];
}

/** Renders the team projects into `component` (the app-of-apps), refusing a project that reaches the platform's namespaces. */
export function renderTeamProjects(component: PlatformComponent, access: AccessConfig, platformNamespaces: ReadonlySet<string>): void {
  (access.teamProjects ?? []).forEach((project, i) => {
    const at = `access.teamProjects[${i}]`;
    if ([PROJECT, ROOT_PROJECT].includes(project.name))
      component.report({ field: `${at}.name`, message: `project ${project.name} is the platform's (sites/access.ts)` });
    project.namespaces.forEach((ns, j) => {
      if (platformNamespaces.has(ns))
        component.report({
          field: `${at}.namespaces[${j}]`,
          message: `namespace ${ns} belongs to the platform: a team project gets namespaces of its own`,
        });
    });
    new AppProject(component, `team-project-${project.name}`, {
      metadata: { name: project.name, namespace: ARGOCD_NAMESPACE, labels: commonLabels(APPS_DIRECTORY), annotations: waveAnnotation(-1) },
      spec: {
        description: project.description,
        sourceRepos: [...project.sourceRepos].sort(),
        destinations: [...project.namespaces].sort().map((namespace) => ({ server: IN_CLUSTER, namespace })),
        clusterResourceWhitelist: [],
        namespaceResourceWhitelist: Object.entries(TEAM_KINDS).flatMap(([group, kinds]) => kinds.map((kind) => ({ group, kind }))),
        roles: [
          {
            name: TEAM_ROLE,
            description: `members of ${project.teams.join(', ')}`,
            groups: project.teams.map((team) => teamGroup(access, team)),
            policies: teamPolicies(project),
          },
        ],
        orphanedResources: { warn: true },
      },
    });
  });
}
