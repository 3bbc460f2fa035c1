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
 * - an object that must gate nothing (waiting on another site or a service outside it, or nothing
 *   needing it) in a step Argo CD waits for (sync-order-gates.ts).
 */
import { metricsApisNeeded } from '../../charts/lib/autoscaling';
import { covers, type WebhookDeclaration } from '../../charts/lib/sync-order';
import type { Finding } from '../../model/errors';
import type { RenderedComponent, RenderedSite } from '../render';
import { objectId, record } from './context';
import { cascadeFindings, healthFindings, projectFindings } from './sync-order-apps';
import { gatesNothingFindings } from './sync-order-gates';
import {
  buildSyncModel,
  compareSteps,
  CHART_STEP,
  describePlace,
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

/** Every sync-order finding of one rendered site. */
export function checkSyncOrder(site: RenderedSite): Finding[] {
  const model = buildSyncModel(site);
  return [
    ...projectFindings(model),
    ...crdFindings(model),
    ...webhookAndApiFindings(model),
    ...healthFindings(model),
    ...cascadeFindings(model),
    ...gatesNothingFindings(model),
  ];
}
