/**
 * Who may do what in each site's Argo CD: GitHub teams bound to roles, the roles' permissions and
 * the default for a signed-in user outside every team. One organisation serves every site, so
 * this file is shared by them all (PLATFORM.access); charts/argocd/access.ts renders it into
 * argocd-rbac-cm and Dex's GitHub connector.
 */

/** Argo CD RBAC resources (argoproj/argo-cd@v3.5.1:docs/operator-manual/rbac.md, "RBAC Resources and Actions"). */
export type ArgoCdResource =
  | 'applications'
  | 'applicationsets'
  | 'clusters'
  | 'projects'
  | 'repositories'
  | 'write-repositories'
  | 'accounts'
  | 'certificates'
  | 'gpgkeys'
  | 'logs'
  | 'exec';

/** Argo CD RBAC actions (same source); `update/*` and `delete/*` reach an application's resources. */
export type ArgoCdAction = 'get' | 'create' | 'update' | 'update/*' | 'delete' | 'delete/*' | 'sync' | 'override' | 'action/*';

/** Argo CD's built-in roles (argoproj/argo-cd@v3.5.1:assets/builtin-policy.csv). */
export type BuiltInRole = 'admin' | 'readonly';

/** Resources whose objects belong to a project: their policy lines name `<project>/<object>`. */
export const PROJECT_SCOPED: ReadonlySet<ArgoCdResource> = new Set(['applications', 'applicationsets', 'logs', 'exec']);

/** Some actions on one resource. */
export interface AccessPermission {
  /** The Argo CD resource. */
  readonly resource: ArgoCdResource;
  /** What may be done to it. */
  readonly actions: readonly ArgoCdAction[];
  /**
   * For project-scoped resources: the AppProjects whose objects the permission reaches, so a team
   * can be given its own project and nothing of the platform's.
   * @default every project (`*`)
   */
  readonly projects?: readonly string[];
  /**
   * For project-scoped resources: withholds the permission on the platform's own projects (the
   * platform's and its root's), whose Applications only git makes and removes. One made by hand
   * there deploys any revision of the platform repository with the platform's rights, past the
   * reviewed rendered diff; deleting one deletes all it holds (its cascading-delete finalizer).
   * @default false: the permission reaches every project of `projects`
   */
  readonly exceptPlatform?: boolean;
}

/** A role of our own, rendered as `role:<name>`. */
export interface AccessRole {
  /** Role name (lowercase letters, digits, dashes). */
  readonly name: string;
  /** What the role is for, for the people who read policy.csv. */
  readonly description: string;
  /** Its permissions (allow only: nothing is granted that is not listed). */
  readonly permissions: readonly AccessPermission[];
}

/** A GitHub team of the organisation and the role its members get. */
export interface TeamBinding {
  /** The team's name as Dex reports it (`<org>:<team>` is the group Argo CD sees). */
  readonly team: string;
  /** One of `roles`' names, or a built-in role. */
  readonly role: string | BuiltInRole;
}

/**
 * A team's own AppProject on every site: its members manage its Applications, which deploy only
 * namespaced kinds of workloads (charts/argocd/team-projects.ts, TEAM_KINDS) into its namespaces,
 * from its repositories; nothing of the platform's.
 */
export interface TeamProject {
  /** AppProject name (lowercase letters, digits, dashes); also the `<project>/` of its applications in policies. */
  readonly name: string;
  /** What the team runs. */
  readonly description: string;
  /** Teams of the organisation whose members get, create, update, sync and delete its applications. */
  readonly teams: readonly string[];
  /** Namespaces its Applications may deploy into (none of the platform's). */
  readonly namespaces: readonly string[];
  /** Git or Helm repositories its Applications may read. */
  readonly sourceRepos: readonly string[];
}

/** The access configuration every site's Argo CD renders. */
export interface AccessConfig {
  /** The GitHub organisation whose members sign in (Dex's GitHub connector). */
  readonly organization: string;
  /** Roles of our own. */
  readonly roles: readonly AccessRole[];
  /** The teams that may sign in and their roles; members of no listed team cannot sign in at all. */
  readonly teams: readonly TeamBinding[];
  /**
   * What a signed-in user gets whatever their team (`policy.default`): `none` or the built-in
   * `readonly`.
   */
  readonly defaultRole: 'none' | 'readonly';
  /**
   * Projects of other teams, beside the platform's.
   * @default none
   */
  readonly teamProjects?: readonly TeamProject[];
  /**
   * Vault path (under each site's vault.kvMount) holding one GitHub OAuth app per site, at
   * `<path>/<site>`, properties `clientID` and `clientSecret`: an OAuth app has one callback URL,
   * and each site's Argo CD sends its own (`<url>/api/dex/callback`).
   */
  readonly githubOAuthVaultPath: string;
}

/**
 * Seed 002: the operators (`role:org-operators`, the team ClubCedille:SRE) get clusters,
 * certificates and repositories, sync, create and delete applications, and read, create, update
 * and delete GPG keys; ClubCedille:Exec are admins. They sync every Application, but create and
 * delete them outside the platform's own projects only (`exceptPlatform`): there, git does.
 *
 * Default `readonly`: Dex lets only the listed teams sign in, so the default reaches only their
 * members, and it is what lets the operators see the applications they sync (seed 002's lines
 * give them no `get` on applications). Nothing that changes a cluster is in it.
 */
export const ACCESS: AccessConfig = {
  organization: 'ClubCedille',
  roles: [
    {
      name: 'org-operators',
      description:
        "SRE operators: read clusters, certificates and repositories; sync applications, create and delete them outside the platform's projects; manage GPG keys",
      permissions: [
        { resource: 'clusters', actions: ['get'] },
        { resource: 'certificates', actions: ['get'] },
        { resource: 'repositories', actions: ['get'] },
        { resource: 'applications', actions: ['sync'] },
        { resource: 'applications', actions: ['create', 'delete'], exceptPlatform: true },
        { resource: 'gpgkeys', actions: ['get', 'create', 'update', 'delete'] },
      ],
    },
  ],
  teams: [
    { team: 'SRE', role: 'org-operators' },
    { team: 'Exec', role: 'admin' },
  ],
  defaultRole: 'readonly',
  githubOAuthVaultPath: 'argocd/github-oauth',
};
