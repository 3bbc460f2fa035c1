/**
 * The sync-order check: what Argo CD would do with the site on an empty cluster (sync-model.ts),
 * and every way that first sync would not converge. Each finding names the site, the Application,
 * the object and the wave:
 * - a custom resource applied before its CRD exists (chart CRDs: in the same Application, or in an
 *   earlier wave of the root; CRDs an operator creates at run time: after that operator is
 *   healthy, and with SkipDryRunOnMissingResource when in the same Application);
 * - an object applied before the admission webhook (failurePolicy Fail) that validates it can
 *   answer, or before the aggregated API an autoscaler reads is served;
 * - an Application whose project does not exist yet, or is `default`;
 * - Applications that keep each other Progressing (health cycles), a self-managed root not in its
 *   last wave, waves between Applications without the Application health check;
 * - a cascading-delete finalizer on an Application holding Applications, namespaces, or CRDs
 *   other Applications' objects use;
 * - an Application whose readiness waits on another site, holding back later waves.
 */
import { APPLICATION_HEALTH_SETTING } from '../../charts/argocd/constants';
import { metricsApisNeeded } from '../../charts/lib/autoscaling';
import { CASCADE_FINALIZERS, covers, type WebhookDeclaration } from '../../charts/lib/sync-order';
import { dependsOn } from '../../charts/lib/sync-waves';
import type { Finding } from '../../model/errors';
import type { RenderedComponent, RenderedSite } from '../render';
import { byText, objectId, record } from './context';
import {
  buildSyncModel,
  compareSteps,
  CHART_STEP,
  describePlace,
  describeStep,
  hasSyncOption,
  healthyBefore,
  type AppNode,
  type Place,
  type Placed,
  type SyncModel,
} from './sync-model';

/** API groups kube-apiserver serves itself (no CRD needed). */
const BUILT_IN_GROUPS = new Set([
  ...['', 'apps', 'autoscaling', 'batch', 'policy'],
  ...['admissionregistration', 'apiextensions', 'apiregistration', 'authentication', 'authorization', 'certificates']
    .concat(['coordination', 'discovery', 'events', 'flowcontrol.apiserver', 'networking', 'node', 'rbac.authorization'])
    .concat(['resource', 'scheduling', 'storage', 'storagemigration'])
    .map((g) => `${g}.k8s.io`),
]);

/** Everything a finding about `p` names. */
function at(model: SyncModel, p: Placed, message: string): Finding {
  return { site: model.site.site.name, component: p.place.app.name, object: objectId(p.object), message };
}

function crdFindings(model: SyncModel): Finding[] {
  const findings: Finding[] = [];
  const declared = model.site.components.flatMap((c) => c.syncOrder.crds.map((crd) => ({ c, crd, place: model.chartPlace(c) })));
  for (const p of model.placed) {
    const group = p.group;
    if (BUILT_IN_GROUPS.has(group)) continue;
    const providers = declared.filter(({ crd }) => covers(crd, group, p.object.kind));
    const describe = describePlace(p.place);
    if (providers.length === 0) {
      findings.push(
        at(
          model,
          p,
          `no component declares the CRD of ${p.object.kind} (${group}): declare it with syncOrder.installsCrds where it is installed`,
        ),
      );
      continue;
    }
    const ready = providers.some(({ crd, place }) => {
      if (!place) return false;
      if ('bootstrap' in place) return true;
      if (crd.source === 'operator') return healthyBefore(place, p.place);
      return place.app === p.place.app ? compareSteps(CHART_STEP, p.place.step) <= 0 : healthyBefore(place, p.place);
    });
    if (!ready) {
      const { c, crd, place } = providers[0]!;
      const how =
        crd.source === 'operator'
          ? `its CRD is created at run time by ${crd.createdBy}, which runs once ${place ? describePlace(place) : `component ${c.name}`} is healthy`
          : `its CRD comes with ${place ? describePlace(place) : `component ${c.name}, which nothing syncs`}`;
      findings.push(at(model, p, `${p.object.kind} is applied in ${describe}, but ${how}: apply it in a later wave`));
      continue;
    }
    const operatorHere = providers.find(
      ({ crd, place }) => crd.source === 'operator' && place && 'app' in place && place.app === p.place.app,
    );
    const skipsDryRun =
      hasSyncOption(p.object, 'SkipDryRunOnMissingResource=true') ||
      appSyncOptions(p.place.app).includes('SkipDryRunOnMissingResource=true');
    if (operatorHere && !skipsDryRun) {
      findings.push(
        at(
          model,
          p,
          `${p.object.kind} is applied in ${describe}, whose sync starts with a dry run of every object while ${operatorHere.crd.createdBy} has not created the CRD yet: the Application (or the object) needs the sync option SkipDryRunOnMissingResource=true`,
        ),
      );
    }
  }
  return findings;
}

function appSyncOptions(app: AppNode): string[] {
  const options = record(record(app.object.spec).syncPolicy).syncOptions;
  return Array.isArray(options) ? options.map(String) : [];
}

/** A component's declared chart things (webhook servers, API servers) with where they run. */
function servers(model: SyncModel) {
  return model.site.components.flatMap((c) => {
    const place = model.chartPlace(c);
    return place ? [{ c, place, order: c.syncOrder }] : [];
  });
}

function webhookAndApiFindings(model: SyncModel): Finding[] {
  const findings: Finding[] = [];
  const all = servers(model);
  // Webhooks that refuse what they match while they cannot answer, by the API group they match.
  const failing = new Map<string, { c: RenderedComponent; place: Place; w: WebhookDeclaration }[]>();
  for (const { c, place, order } of all) {
    for (const w of order.webhooks.filter((x) => x.failurePolicy === 'Fail'))
      failing.set(w.group, [...(failing.get(w.group) ?? []), { c, place, w }]);
  }
  for (const p of model.placed) {
    for (const { c, place, w } of failing.get(p.group) ?? []) {
      if (!covers(w, p.group, p.object.kind) || healthyBefore(place, p.place)) continue;
      findings.push(
        at(
          model,
          p,
          `${p.object.kind} is applied in ${describePlace(p.place)}, but the webhook ${w.name} of ${c.name} (failurePolicy Fail, served by ${w.servedBy.join(' and ')}) answers only once ${describePlace(place)} is healthy: the API server refuses it until then; apply it in a later wave`,
        ),
      );
    }
    for (const group of metricsApisNeeded(p.object)) {
      const serving = all.filter(({ order }) => order.apis.some((a) => a.group === group));
      if (serving.some(({ place }) => healthyBefore(place, p.place))) continue;
      const by = serving[0];
      findings.push(
        at(
          model,
          p,
          by
            ? `${p.object.kind} reads ${group}, served by ${by.c.name} once ${describePlace(by.place)} is healthy, but is applied in ${describePlace(p.place)}: Argo CD marks it Degraded until then`
            : `${p.object.kind} reads ${group}, which no component of the site serves`,
        ),
      );
    }
  }
  return findings;
}

function projectFindings(model: SyncModel): Finding[] {
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

function healthFindings(model: SyncModel): Finding[] {
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

function cascadeFindings(model: SyncModel): Finding[] {
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

function otherSiteFindings(model: SyncModel): Finding[] {
  const findings: Finding[] = [];
  for (const app of model.apps) {
    const reason = app.component?.syncOrder.waitsOnOtherSite;
    const manager = app.managers[0];
    if (!reason || !manager || compareSteps(app.step, model.lastStep(manager)) >= 0) continue;
    const later = model.apps
      .filter((a) => a.managers.includes(manager) && a !== manager && compareSteps(a.step, app.step) > 0)
      .sort((a, b) => compareSteps(a.step, b.step) || byText(a.name, b.name))
      .map((a) => {
        const dependent = a.component && app.component && dependsOn(model.site.components, a.component, app.component);
        return `${a.name} (${describeStep(a.step)}${dependent ? ', depends on it' : ''})`;
      });
    findings.push({
      site: model.site.site.name,
      component: app.name,
      object: objectId(app.object),
      message: `Application ${app.name} is in ${describeStep(app.step)} of ${manager.name}, and ${reason}: while that site is unreachable ${manager.name} waits for it and never syncs ${later.join(', ')}; it must be in the last wave, with nothing depending on it`,
    });
  }
  return findings;
}

/** Every sync-order finding of one rendered site. */
export function checkSyncOrder(site: RenderedSite): Finding[] {
  const model = buildSyncModel(site);
  return [
    ...projectFindings(model),
    ...crdFindings(model),
    ...webhookAndApiFindings(model),
    ...healthFindings(model),
    ...cascadeFindings(model),
    ...otherSiteFindings(model),
  ];
}
