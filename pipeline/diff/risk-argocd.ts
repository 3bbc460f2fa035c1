/**
 * Rules about who may do what through Argo CD: an AppProject letting its Applications create more
 * (kinds, namespaces, repositories, project roles), argocd-rbac-cm granting more, the local admin
 * enabled, the SSO connector changed.
 */
import { list, record } from '../validate/context';
import type { TreeObject } from './objects';
import type { RiskNote } from './risk-types';

type Sides = { before?: TreeObject; after?: TreeObject };

const entries = (o: TreeObject | undefined, field: string, key: (e: Record<string, unknown>) => string) =>
  new Set(list(record(o?.body.spec)[field]).map(key));
const kindKey = (e: Record<string, unknown>) => `${String(e.group)}/${String(e.kind)}`;
const added = (before: Set<string>, after: Set<string>) => [...after].filter((x) => !before.has(x));

function projectNotes({ before, after }: Sides): RiskNote[] {
  const notes: RiskNote[] = [];
  for (const field of ['clusterResourceWhitelist', 'namespaceResourceWhitelist']) {
    const was = entries(before, field, kindKey);
    // Without a namespaced whitelist Argo CD allows every namespaced kind; without a cluster one, none.
    const wasAll = [...was].some((k) => k.includes('*')) || (field === 'namespaceResourceWhitelist' && !record(before?.body.spec)[field]);
    const more = added(was, entries(after, field, kindKey));
    if (more.some((k) => k.includes('*')))
      notes.push({
        risk: 'high',
        path: `spec.${field}`,
        reason: `project allows a wildcard kind: ${more.filter((k) => k.includes('*')).join(', ')}`,
      });
    else if (more.length > 0 && before && !wasAll)
      notes.push({ risk: 'medium', path: `spec.${field}`, reason: `project allows more kinds: ${more.join(', ')}` });
  }
  const destinations = added(
    entries(before, 'destinations', (d) => `${String(d.server)} ${String(d.namespace)}`),
    entries(after, 'destinations', (d) => `${String(d.server)} ${String(d.namespace)}`),
  );
  if (destinations.length > 0 && before)
    notes.push({ risk: 'medium', path: 'spec.destinations', reason: `project deploys to more namespaces: ${destinations.join(', ')}` });
  const repos = (o?: TreeObject) => new Set(((record(o?.body.spec).sourceRepos as unknown[]) ?? []).map(String));
  const moreRepos = added(repos(before), repos(after));
  if (moreRepos.some((r) => r === '*')) notes.push({ risk: 'high', path: 'spec.sourceRepos', reason: 'project reads any repository' });
  else if (moreRepos.length > 0 && before)
    notes.push({ risk: 'medium', path: 'spec.sourceRepos', reason: `project reads more repositories: ${moreRepos.join(', ')}` });
  const grants = (o?: TreeObject) =>
    new Set(
      list(record(o?.body.spec).roles).flatMap((r) =>
        [...((r.policies as unknown[]) ?? []), ...((r.groups as unknown[]) ?? [])].map(String),
      ),
    );
  const moreGrants = added(grants(before), grants(after));
  if (moreGrants.length > 0)
    notes.push({ risk: 'medium', path: 'spec.roles', reason: `project roles grant more: ${moreGrants.join('; ')}` });
  return notes;
}

const data = (o: TreeObject | undefined) => record(o?.body.data);
const policyLines = (o: TreeObject | undefined) =>
  new Set(
    String(data(o)['policy.csv'] ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[pg],/.test(l)),
  );

function rbacNotes({ before, after }: Sides): RiskNote[] {
  const notes: RiskNote[] = [];
  const more = added(policyLines(before), policyLines(after));
  if (more.length > 0)
    notes.push({
      risk: more.some((l) => /role:admin$/.test(l)) ? 'high' : 'medium',
      path: 'data.policy.csv',
      reason: `Argo CD grants more: ${more.join('; ')}`,
    });
  const [was, now] = [data(before)['policy.default'] ?? '', data(after)['policy.default'] ?? ''];
  if (was !== now)
    notes.push({
      risk: now === 'role:admin' ? 'high' : 'medium',
      path: 'data.policy.default',
      reason: `every signed-in user: ${String(was) || 'nothing'} -> ${String(now) || 'nothing'}`,
    });
  return notes;
}

function settingsNotes({ before, after }: Sides): RiskNote[] {
  const notes: RiskNote[] = [];
  if (data(after)['admin.enabled'] !== 'false' && data(before)['admin.enabled'] === 'false')
    notes.push({
      risk: 'high',
      path: 'data.admin.enabled',
      reason: 'the local admin account is enabled again (break-glass belongs in the runbook, not in git)',
    });
  if (before && data(before)['dex.config'] !== data(after)['dex.config'])
    notes.push({ risk: 'medium', path: 'data.dex.config', reason: 'who may sign in changes (Dex connectors)' });
  return notes;
}

/** Notes on Argo CD's projects and access settings. */
export function argoCdAccessNotes(kind: string, name: string, objects: Sides): RiskNote[] {
  if (kind === 'AppProject') return projectNotes(objects);
  if (kind === 'ConfigMap' && name === 'argocd-rbac-cm') return rbacNotes(objects);
  if (kind === 'ConfigMap' && name === 'argocd-cm') return settingsNotes(objects);
  return [];
}
