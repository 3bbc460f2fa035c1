/**
 * The access configuration (sites/access.ts) as Argo CD reads it: argocd-rbac-cm's policy and
 * Dex's GitHub connector in argocd-cm. Pure functions of the configuration, so the enforcement
 * test loads exactly what the render writes.
 */
import type { AccessConfig, AccessPermission, BuiltInRole } from '../../sites/access';
import { PROJECT_SCOPED } from '../../sites/access';
import { COMPONENT } from '../../model/components';
import { PROJECT, ROOT_PROJECT } from './constants';
import type { Finding } from '../../model/errors';

/** The Kubernetes Secret Dex reads the GitHub OAuth app from (Argo CD reads `$<secret>:<key>` only from Secrets with this label). */
export const GITHUB_OAUTH_SECRET = 'argocd-github-oauth';
/** The label Argo CD selects the Secrets it may read settings from by. */
export const ARGOCD_PART_OF = { 'app.kubernetes.io/part-of': 'argocd' } as const;

const BUILT_IN: readonly BuiltInRole[] = ['admin', 'readonly'];
const ROLE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `role:<name>`, how policy.csv names a role. */
export function roleSubject(name: string): string {
  return `role:${name}`;
}

/** The group Argo CD sees for a team: `<org>:<team>` (Dex's GitHub connector). */
export function teamGroup(access: AccessConfig, team: string): string {
  return `${access.organization}:${team}`;
}

/** The projects only git creates and deletes Applications in (`exceptPlatform`). */
export const PLATFORM_PROJECTS: readonly string[] = [PROJECT, ROOT_PROJECT];

/** A permission's lines: its grants, then, with `exceptPlatform`, a deny per platform project (Argo CD's casbin model lets a deny win). */
function permissionLines(role: string, p: AccessPermission): string[] {
  const objects = PROJECT_SCOPED.has(p.resource) ? (p.projects ?? ['*']).map((project) => `${project}/*`) : ['*'];
  const line = (action: string, object: string, effect: 'allow' | 'deny') =>
    `p, ${roleSubject(role)}, ${p.resource}, ${action}, ${object}, ${effect}`;
  const withheld = p.exceptPlatform ? PLATFORM_PROJECTS.map((project) => `${project}/*`) : [];
  return p.actions.flatMap((action) => [...objects.map((o) => line(action, o, 'allow')), ...withheld.map((o) => line(action, o, 'deny'))]);
}

/**
 * policy.csv: each role's lines under a comment saying what it is for, then the team bindings;
 * one permission per line, so the rendered diff shows each grant and each removal.
 */
export function policyCsv(access: AccessConfig): string {
  const lines: string[] = [];
  for (const role of access.roles) {
    lines.push(`# ${roleSubject(role.name)}: ${role.description}`);
    for (const p of role.permissions) lines.push(...permissionLines(role.name, p));
    lines.push('');
  }
  lines.push(`# GitHub teams of ${access.organization}`);
  for (const t of access.teams) lines.push(`g, ${teamGroup(access, t.team)}, ${roleSubject(t.role)}`);
  return `${lines.join('\n')}\n`;
}

/** The data of argocd-rbac-cm: the policy, the default for any signed-in user, and the claim groups come from. */
export function rbacSettings(access: AccessConfig): Record<string, string> {
  return {
    'policy.csv': policyCsv(access),
    'policy.default': access.defaultRole === 'none' ? '' : roleSubject(access.defaultRole),
    scopes: '[groups]',
  };
}

/**
 * The argocd-cm settings of SSO: the site's public URL (Dex's callback), the GitHub connector
 * restricted to the organisation's listed teams, the OAuth app read from GITHUB_OAUTH_SECRET, and
 * the local admin account disabled (docs/runbooks/argocd-break-glass.md brings it back).
 */
export function ssoSettings(access: AccessConfig, host: string): Record<string, string> {
  const dex = {
    connectors: [
      {
        type: 'github',
        id: 'github',
        name: 'GitHub',
        config: {
          clientID: `$${GITHUB_OAUTH_SECRET}:clientID`,
          clientSecret: `$${GITHUB_OAUTH_SECRET}:clientSecret`,
          orgs: [{ name: access.organization, teams: signInTeams(access) }],
        },
      },
    ],
  };
  // JSON is YAML: Argo CD reads dex.config as YAML, and no YAML library is loaded on the synth path for it.
  return { url: `https://${host}`, 'dex.config': `${JSON.stringify(dex, null, 2)}\n`, 'admin.enabled': 'false' };
}

/** The teams Dex lets sign in: those bound to a role and those of a team project, in that order. */
export function signInTeams(access: AccessConfig): string[] {
  return [...new Set([...access.teams.map((t) => t.team), ...(access.teamProjects ?? []).flatMap((p) => p.teams)])];
}

/** What is wrong with the configuration: unknown or duplicate roles and teams, bad names, empty roles. */
export function accessFindings(access: AccessConfig, projects: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  const at = (field: string, message: string) =>
    // Every site renders the same configuration: the message names its file, the site is where it was found.
    findings.push({ component: COMPONENT.argocd, field: `access.${field}`, message: `${message} (sites/access.ts)` });
  const names = new Set<string>();
  access.roles.forEach((role, i) => {
    if (!ROLE_NAME.test(role.name)) at(`roles[${i}].name`, `role name '${role.name}' must be lowercase letters, digits and dashes`);
    if ((BUILT_IN as readonly string[]).includes(role.name) || names.has(role.name))
      at(`roles[${i}].name`, `role '${role.name}' is defined twice (or shadows a built-in role)`);
    names.add(role.name);
    if (role.permissions.length === 0) at(`roles[${i}].permissions`, `role '${role.name}' grants nothing`);
    role.permissions.forEach((p, j) => {
      if (p.projects !== undefined && !PROJECT_SCOPED.has(p.resource))
        at(`roles[${i}].permissions[${j}].projects`, `${p.resource} belong to no project: remove projects`);
      if (p.exceptPlatform && !PROJECT_SCOPED.has(p.resource))
        at(`roles[${i}].permissions[${j}].exceptPlatform`, `${p.resource} belong to no project: remove exceptPlatform`);
      const withheld = p.exceptPlatform ? (p.projects ?? []).filter((project) => PLATFORM_PROJECTS.includes(project)) : [];
      if (withheld.length > 0)
        at(`roles[${i}].permissions[${j}].projects`, `${withheld.join(', ')} named and withheld (exceptPlatform): drop one of the two`);
      for (const project of p.projects ?? [])
        if (!projects.includes(project))
          at(`roles[${i}].permissions[${j}].projects`, `no AppProject '${project}' is rendered (known: ${projects.join(', ')})`);
    });
  });
  const teams = new Set<string>();
  access.teams.forEach((t, i) => {
    if (!names.has(t.role) && !(BUILT_IN as readonly string[]).includes(t.role))
      at(`teams[${i}].role`, `team ${t.team} is bound to unknown role '${t.role}' (known: ${[...names, ...BUILT_IN].join(', ')})`);
    if (teams.has(t.team)) at(`teams[${i}].team`, `team ${t.team} is bound twice`);
    teams.add(t.team);
  });
  if (access.teams.length === 0) at('teams', 'no team may sign in: list at least one');
  (access.teamProjects ?? []).forEach((p, i) => {
    if (!ROLE_NAME.test(p.name)) at(`teamProjects[${i}].name`, `project name '${p.name}' must be lowercase letters, digits and dashes`);
    if (p.teams.length === 0) at(`teamProjects[${i}].teams`, `project ${p.name} has no team`);
    if (p.namespaces.length === 0) at(`teamProjects[${i}].namespaces`, `project ${p.name} may deploy nowhere: list its namespaces`);
  });
  return findings;
}
