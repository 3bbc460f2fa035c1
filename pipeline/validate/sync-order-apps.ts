/**
 * The sync-order checks of the Applications themselves (sync-order.ts checks the objects they
 * apply): each one's project exists and is not `default`; the root manages itself and sits in its
 * last wave, waves between Applications have the health check; a cascading-delete finalizer takes
 * down nothing others use.
 */
import { APPLICATION_HEALTH_SETTING } from '../../charts/argocd/constants';
import { CASCADE_FINALIZERS, covers } from '../../charts/lib/sync-order';
import type { Finding } from '../../model/errors';
import type { RenderedComponent } from '../render';
import { byText, objectId, record } from './context';
import { compareSteps, describePlace, describeStep, hasSyncOption, healthyBefore, type AppNode, type SyncModel } from './sync-model';

export function projectFindings(model: SyncModel): Finding[] {
  const projects = (c?: RenderedComponent) => (c ? c.objects.filter((o) => o.kind === 'AppProject') : []);
  const findings: Finding[] = [];
  for (const app of model.apps) {
    const project = String(record(app.object.spec).project ?? '');
    const where = app.managers[0] ? describePlace({ app: app.managers[0], step: app.step }) : 'the bootstrap';
    const base = { site: model.site.site.name, component: app.name, object: objectId(app.object) };
    if (project === 'default') {
      findings.push({
        ...base,
        message: `Application ${app.name} (${where}) is in the project default, which may deploy anything anywhere: give it a project of ours`,
      });
      continue;
    }
    const inBootstrap = projects(model.bootstrap).some((o) => o.metadata.name === project);
    // Applied by another Application's sync before this one's: an Application's own sync cannot
    // create the project it needs to start.
    const earlier = model.placed.some(
      (p) =>
        p.object.kind === 'AppProject' &&
        p.object.metadata.name === project &&
        p.place.app !== app &&
        app.managers.some((m) => m !== app && healthyBefore(p.place, { app: m, step: app.step })),
    );
    if (!inBootstrap && !earlier) {
      findings.push({
        ...base,
        message: `Application ${app.name} (${where}) is in the project ${project}, which does not exist before it syncs: Argo CD refuses to sync it`,
      });
    }
  }
  return findings;
}

export function healthFindings(model: SyncModel): Finding[] {
  const findings: Finding[] = [];
  const site = model.site.site.name;
  const reported = new Set<string>();
  const visit = (app: AppNode, path: AppNode[]): void => {
    for (const child of model.apps.filter((a) => a !== app && a.managers.includes(app))) {
      const i = path.indexOf(child);
      if (i >= 0) {
        const cycle = [...path.slice(i), child];
        const key = cycle
          .slice(0, -1)
          .map((a) => a.name)
          .sort(byText)
          .join(',');
        if (reported.has(key)) continue;
        reported.add(key);
        const links = cycle
          .slice(0, -1)
          .map((a, k) => `${a.name} holds Application ${cycle[k + 1]!.name} (${describeStep(cycle[k + 1]!.step)})`);
        findings.push({
          site,
          component: child.name,
          object: objectId(child.object),
          message: `health cycle: ${links.join(', ')}; with the Application health check each keeps the other Progressing, the sync that waits for it never ends and every later change waits ("another operation is already in progress"): only the root may hold Applications`,
        });
      } else visit(child, [...path, child]);
    }
  };
  for (const app of model.apps) visit(app, [app]);
  for (const app of model.apps) {
    if (!app.managers.includes(app) || compareSteps(app.step, model.lastStep(app)) >= 0) continue;
    findings.push({
      site,
      component: app.name,
      object: objectId(app.object),
      message: `Application ${app.name} holds its own object in ${describeStep(app.step)}, before its last ${describeStep(model.lastStep(app))}: its sync waits for its own health, which is Progressing while any Application it holds is; put it in the last wave`,
    });
  }
  const root = model.root;
  const childSteps = new Set(model.apps.filter((a) => root && a !== root && a.managers.includes(root)).map((a) => describeStep(a.step)));
  const settings = [...(model.bootstrap?.objects ?? []), ...model.placed.map((p) => p.object)].filter(
    (o) => o.kind === 'ConfigMap' && o.metadata.name === 'argocd-cm',
  );
  const restored = settings.length > 0 && settings.every((o) => typeof record(o.data)[APPLICATION_HEALTH_SETTING] === 'string');
  if (root && childSteps.size > 1 && !restored) {
    findings.push({
      site,
      component: root.name,
      object: objectId(root.object),
      message: `the root's child Applications are in ${childSteps.size} waves, but argocd-cm lacks ${APPLICATION_HEALTH_SETTING}: without the Application health check Argo CD does not wait between them, so the waves gate nothing`,
    });
  }
  return findings;
}

export function cascadeFindings(model: SyncModel): Finding[] {
  const findings: Finding[] = [];
  for (const app of model.apps) {
    const finalizers = record(app.object.metadata).finalizers;
    if (!Array.isArray(finalizers) || !finalizers.some((f) => CASCADE_FINALIZERS.includes(String(f))) || !app.component) continue;
    const base = { site: model.site.site.name, component: app.name, object: objectId(app.object) };
    const deletes = (what: string): Finding => ({
      ...base,
      message: `Application ${app.name} carries the cascading-delete finalizer: deleting it (or pruning it from its parent) deletes ${what}; drop the finalizer (keepObjectsOnRemoval) or keep them (Delete=false, helm.sh/resource-policy: keep)`,
    });
    const objects = app.component.objects;
    const apps = objects.filter((o) => o.kind === 'Application' && o.metadata.name !== app.name);
    if (apps.length > 0)
      findings.push(
        deletes(`the Applications it holds (${apps.map((o) => o.metadata.name).join(', ')}) and, through theirs, what they hold`),
      );
    const namespaces = objects.filter((o) => o.kind === 'Namespace' && !hasSyncOption(o, 'Delete=false'));
    if (namespaces.length > 0)
      findings.push(deletes(`the namespaces ${namespaces.map((o) => o.metadata.name).join(', ')} and everything in them`));
    for (const crd of app.component.syncOrder.crds) {
      if (crd.source === 'operator' || crd.keptOnDelete) continue;
      const users = model.placed.filter((p) => p.place.app !== app && covers(crd, p.group, p.object.kind));
      if (users.length === 0) continue;
      const named = users.slice(0, 3).map((u) => `${objectId(u.object)} (${u.place.app.name})`);
      findings.push(
        deletes(
          `the CRDs of ${crd.group} and with them every object of their kinds: ${named.join(', ')}${users.length > 3 ? ` and ${users.length - 3} more` : ''}`,
        ),
      );
    }
  }
  return findings;
}
