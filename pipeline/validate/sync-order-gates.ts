/**
 * The sync-order check of what must gate nothing (`whyGatesNothing`, charts/lib/sync-order.ts):
 * a component whose readiness waits on another site (`readinessDependsOnOtherSite`) or on a
 * service outside the site (`readinessDependsOnExternal`, unless declared unavoidable), or that
 * nothing needs (`syncsLast`). Argo CD waits for every step but the last (sync-model.ts), so an
 * object that stays Progressing or Degraded meanwhile must be in a step nothing waits for. Besides
 * the declaring component's own objects, what follows from them in the render is waited on too,
 * per the health checks of Argo CD v3.5.1
 * (argoproj/argo-cd@v3.5.1:resource_customizations/):
 * - a Certificate whose issuer is one of those objects (every issuer of such a component counts):
 *   Progressing while Issuing;
 * - an HTTPProxy whose TLS Secret such a Certificate writes: Contour 1.33.6 marks it invalid and
 *   skips its includes (projectcontour/contour@v1.33.6:internal/dag/httpproxy_processor.go,
 *   SecretNotValid); Argo CD counts it Degraded, unless it has includes (HTTPProxy/health.lua
 *   reports those Healthy);
 * - an HTTPProxy such a root includes: orphaned (`Orphaned`, the same file), so Degraded.
 */
import { avoidableExternals, whyGatesNothing, type GatesNothingReason } from '../../charts/lib/sync-order';
import { dependsOn } from '../../charts/lib/sync-waves';
import type { Finding } from '../../model/errors';
import type { KubeObject, RenderedComponent } from '../render';
import { byText, list, objectId, record } from './context';
import { compareSteps, describePlace, describeStep, type AppNode, type Placed, type Step, type SyncModel } from './sync-model';

const key = (namespace: unknown, name: unknown) => `${String(namespace ?? '')}/${String(name)}`;

/** When a proxy waiting on a certificate holds the others back: its issuer's service being out. */
const UNISSUED = 'while that certificate is not issued (its CA unreachable or refusing)';

/** Why each placed object must gate nothing, by object (its own component's declaration, or what follows). */
function waitingObjects(model: SyncModel): Map<Placed, GatesNothingReason> {
  const waits = new Map<Placed, GatesNothingReason>();
  for (const p of model.placed) {
    const reason = whyGatesNothing(p.component.syncOrder);
    if (reason) waits.set(p, reason);
  }
  const issuers = new Map<string, GatesNothingReason>();
  for (const [p, why] of waits) {
    // Only an outside CA keeps its Certificates Issuing (the health checks above): another site or syncsLast does not.
    if (avoidableExternals(p.component.syncOrder).length === 0) continue;
    if (p.object.kind === 'ClusterIssuer' || p.object.kind === 'Issuer')
      issuers.set(`${p.object.kind}:${key(p.object.metadata.namespace, p.object.metadata.name)}`, why);
  }
  const secrets = new Map<string, string>();
  for (const p of model.placed.filter((x) => x.group === 'cert-manager.io' && x.object.kind === 'Certificate')) {
    const spec = record(p.object.spec);
    const ref = record(spec.issuerRef);
    const kind = String(ref.kind ?? 'Issuer');
    const issuer = issuers.get(`${kind}:${key(kind === 'Issuer' ? p.object.metadata.namespace : '', ref.name)}`);
    if (!issuer) continue;
    if (!waits.has(p)) waits.set(p, { ...issuer, why: `it is issued by ${String(ref.name)}, and ${issuer.why}` });
    secrets.set(key(p.object.metadata.namespace, spec.secretName), `Certificate ${objectId(p.object)} (${describePlace(p.place)})`);
  }
  const proxies = model.placed.filter((p) => p.object.kind === 'HTTPProxy');
  for (const root of proxies) {
    const virtualhost = record(record(root.object.spec).virtualhost);
    const secret = secrets.get(key(root.object.metadata.namespace, record(virtualhost.tls).secretName));
    if (!secret) continue;
    const includes = list(record(root.object.spec).includes);
    if (includes.length === 0 && !waits.has(root))
      waits.set(root, {
        why: `its TLS Secret comes from ${secret}: Contour marks it invalid until then, Argo CD Degraded`,
        during: UNISSUED,
      });
    for (const include of includes) {
      const child = proxies.find(
        (c) =>
          key(c.object.metadata.namespace, c.object.metadata.name) ===
          key(include.namespace ?? root.object.metadata.namespace, include.name),
      );
      if (child && !waits.has(child))
        waits.set(child, {
          why: `the root ${objectId(root.object)} including it is invalid until ${secret} is issued: Contour marks it orphaned, Argo CD Degraded`,
          during: UNISSUED,
        });
    }
  }
  return waits;
}

/** The Application whose sync waits for what is applied at `step` of `app` (every step but the last, up to the root), if one does. */
function waitedFor(model: SyncModel, app: AppNode, step: Step): AppNode | undefined {
  if (compareSteps(step, model.lastStep(app)) < 0) return app;
  const manager = app.managers[0];
  if (!manager || manager === app) return undefined;
  return waitedFor(model, manager, app.step);
}

/**
 * Every object that must gate nothing in a step Argo CD waits for: one finding per Application
 * when its component declares it (which of its objects waits is not known: its Application must be
 * in its parent's last wave), else per object.
 */
export function gatesNothingFindings(model: SyncModel): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<AppNode>();
  for (const [p, { why, during }] of waitingObjects(model)) {
    const app = p.place.app;
    const whole = whyGatesNothing(p.component.syncOrder) !== undefined;
    const manager = app.managers[0];
    if (whole && (reported.has(app) || !manager || manager === app)) continue;
    const waiting = whole ? waitedFor(model, manager!, app.step) : waitedFor(model, app, p.place.step);
    if (!waiting) continue;
    reported.add(app);
    const later = laterSteps(model, whole ? p.component : undefined, waiting, waiting === app ? p.place.step : chainStep(app, waiting));
    const what = whole
      ? `Application ${app.name} is in ${describeStep(chainStep(app, waiting))} of ${waiting.name}`
      : `${p.object.kind} is applied in ${describePlace(p.place)}`;
    findings.push({
      site: model.site.site.name,
      component: app.name,
      object: objectId(whole ? app.object : p.object),
      message: `${what}, and ${why}; ${during}, ${waiting.name} waits for it and never syncs ${later}: it must be in a step nothing waits for (its component in the last wave, with nothing depending on it)`,
    });
  }
  return findings;
}

/** The step of `ancestor`'s sync that holds `app` (through its first managers). */
function chainStep(app: AppNode, ancestor: AppNode): Step {
  let a = app;
  while (a.managers[0] && a.managers[0] !== ancestor && a.managers[0] !== a) a = a.managers[0];
  return a.step;
}

/** What `app`'s sync applies after `step`: Applications by name (saying which depend on the component `waiting`, if given), other objects by count. */
function laterSteps(model: SyncModel, waiting: RenderedComponent | undefined, app: AppNode, step: Step): string {
  const after = (o: { place: { app: AppNode; step: Step } }) => o.place.app === app && compareSteps(o.place.step, step) > 0;
  const objects: KubeObject[] = model.placed.filter(after).map((p) => p.object);
  const apps = objects.filter((o) => o.kind === 'Application' && o.metadata.name !== app.name);
  const named = model.apps
    .filter((a) => apps.some((o) => o.metadata.name === a.name))
    .sort((a, b) => compareSteps(a.step, b.step) || byText(a.name, b.name));
  const rest = objects.filter((o) => o.kind !== 'Application').length;
  const parts = named.map((a) => {
    const dependent = waiting && a.component && dependsOn(model.site.components, a.component, waiting);
    return `${a.name} (${describeStep(a.step)}${dependent ? ', depends on it' : ''})`;
  });
  if (rest > 0) parts.push(`${rest} object${rest === 1 ? '' : 's'} of its own`);
  return parts.length > 0 ? parts.join(', ') : 'anything after it';
}
