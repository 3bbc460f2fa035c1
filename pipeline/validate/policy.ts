/**
 * Policy checks on the rendered objects of one site: Pod Security (restricted, or the level a
 * namespace declares with its reason), requests and memory limits, probes, pinned images,
 * disruption budgets and spreading for replicated workloads, Services that select pods, routes
 * that reach a Service port, claims that name a StorageClass of the site.
 */
import type { PodSecurityLevel } from '../../charts/lib/declared';
import type { PolicyRule } from '../../charts/lib/declarations';
import type { Finding } from '../../model/errors';
import type { KubeObject, RenderedSite } from '../render';
import { list, objectId, record } from './context';
import { podSecurity } from './pod-security';
import { containersOf, hasNodeSpreading, mapSelects, podTemplateOf, selects } from './workloads';

/** An object of a site with the component that rendered it. */
interface Located {
  readonly object: KubeObject;
  readonly component: string;
  readonly patch: boolean;
}

/** A finding of a rule, before exceptions are applied. */
interface RuleFinding extends Finding {
  readonly rule: PolicyRule | 'pod-security';
}

/** An image reference pinned to a tag or digest other than `latest`. */
export function imageProblem(image: unknown): string | undefined {
  if (typeof image !== 'string' || image.length === 0) return 'no image';
  if (image.includes('@sha256:')) return undefined;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return `image ${image} has no tag: pin a version`;
  if (lastSegment.slice(colon + 1) === 'latest') return `image ${image} uses the moving tag 'latest': pin a version`;
  return undefined;
}

/** The Pod Security level and its reason for every namespace some component declares. */
export function namespaceLevels(site: RenderedSite): Map<string, { level: PodSecurityLevel; reason?: string; component: string }> {
  const levels = new Map<string, { level: PodSecurityLevel; reason?: string; component: string }>();
  for (const c of site.components) {
    for (const ns of c.namespaces) levels.set(ns.name, { level: ns.podSecurity, reason: ns.podSecurityReason, component: c.name });
  }
  return levels;
}

/** Every policy finding of one site, after the exceptions components declared. */
export function checkPolicy(site: RenderedSite): Finding[] {
  const siteName = site.site.name;
  const objects: Located[] = site.components.flatMap((c) =>
    c.objects.map((object, i) => ({ object, component: c.name, patch: c.patchIndexes.has(i) })),
  );
  const own = objects.filter((o) => !o.patch);
  const levels = namespaceLevels(site);
  const findings: RuleFinding[] = [];
  const at = (o: Located, rule: RuleFinding['rule']) => (field: string, message: string) =>
    findings.push({ site: siteName, component: o.component, object: objectId(o.object), field, message, rule });

  const workloads = own.flatMap((o) => {
    const template = podTemplateOf(o.object);
    return template ? [{ ...o, template, namespace: o.object.metadata.namespace ?? '' }] : [];
  });
  const upstream = site.components.flatMap((c) => c.declarations.upstreamWorkloads);
  const byKind = (kind: string) => own.filter((o) => o.object.kind === kind);

  for (const w of workloads) {
    const { template } = w;
    const level = levels.get(w.namespace)?.level ?? 'restricted';
    podSecurity(template, level, at(w, 'pod-security'));
    for (const { container, path, init } of containersOf(template)) {
      const resources = record(container.resources);
      const requests = record(resources.requests);
      const limits = record(resources.limits);
      const report = at(w, 'resources');
      if (requests.cpu === undefined)
        report(`${path}.resources.requests.cpu`, 'every container needs a CPU request (the scheduler and the capacity check count it)');
      if (requests.memory === undefined) report(`${path}.resources.requests.memory`, 'every container needs a memory request');
      if (limits.memory === undefined)
        report(`${path}.resources.limits.memory`, 'every container needs a memory limit (memory is not compressible)');
      const problem = imageProblem(container.image);
      if (problem) at(w, 'image')(`${path}.image`, problem);
      if (template.longRunning && !init && !path.includes('ephemeralContainers')) {
        for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
          if (container[probe] === undefined) at(w, 'probes')(`${path}.${probe}`, `a long-running container needs a ${probe}`);
        }
      }
    }
    if (typeof template.replicas === 'number' && template.replicas >= 2 && template.longRunning) {
      const pdbs = byKind('PodDisruptionBudget').filter(
        (p) => p.object.metadata.namespace === w.object.metadata.namespace && selects(record(p.object.spec).selector, template.labels),
      );
      if (pdbs.length === 0)
        at(w, 'disruption-budget')('spec.replicas', `${template.replicas} replicas need a PodDisruptionBudget selecting their pods`);
      for (const pdb of pdbs) {
        const min = record(pdb.object.spec).minAvailable;
        if (typeof min === 'number' && min >= template.replicas) {
          at(pdb, 'disruption-budget')(
            'spec.minAvailable',
            `minAvailable ${min} with ${template.replicas} replicas allows no eviction: node drains would block`,
          );
        }
      }
      if (!hasNodeSpreading(template.spec)) {
        at(w, 'spreading')(
          `${template.path}.topologySpreadConstraints`,
          `${template.replicas} replicas need spreading over nodes (topologyKey kubernetes.io/hostname, DoNotSchedule) or a required anti-affinity`,
        );
      }
    }
  }

  // Under the default IfHealthyBudget a running but unready pod is evicted only while the budget
  // holds: with the budget used up, it blocks every drain of its node (charts/lib/workload.ts).
  for (const pdb of byKind('PodDisruptionBudget')) {
    if (record(pdb.object.spec).unhealthyPodEvictionPolicy !== 'AlwaysAllow')
      at(pdb, 'disruption-budget')(
        'spec.unhealthyPodEvictionPolicy',
        `must be AlwaysAllow: under the default (IfHealthyBudget) its pods that run but are not ready block node drains while the budget is used up`,
      );
  }

  const podsIn = (namespace: string) => [
    ...workloads
      .filter((w) => w.namespace === namespace)
      .map((w) => ({ labels: w.template.labels, ports: containersOf(w.template).flatMap((c) => list(c.container.ports)) })),
    ...upstream.filter((u) => u.namespace === namespace && u.podLabels).map((u) => ({ labels: u.podLabels!, ports: undefined })),
  ];
  const services = byKind('Service');
  for (const svc of services) {
    const spec = record(svc.object.spec);
    if (spec.type === 'ExternalName' || Object.keys(record(spec.selector)).length === 0) continue;
    const selected = podsIn(svc.object.metadata.namespace ?? '').filter((p) => mapSelects(spec.selector, p.labels));
    if (selected.length === 0) {
      at(svc, 'service-selector')(
        'spec.selector',
        `selects no pod of this site (${JSON.stringify(spec.selector)}); an upstream chart's pods need declareUpstreamWorkload with podLabels`,
      );
      continue;
    }
    list(spec.ports).forEach((port, i) => {
      if (typeof port.targetPort !== 'string') return;
      const known = selected.some((p) => p.ports === undefined || p.ports.some((cp) => cp.name === port.targetPort));
      if (!known) at(svc, 'service-selector')(`spec.ports[${i}].targetPort`, `no selected container has a port named '${port.targetPort}'`);
    });
  }

  const servicePort = (namespace: string | undefined, name: unknown, port: unknown): string | undefined => {
    const svc = services.find((s) => s.object.metadata.namespace === namespace && s.object.metadata.name === name);
    const upstreamService = upstream.find((u) => u.namespace === namespace && u.service?.name === name)?.service;
    if (!svc && upstreamService) {
      return upstreamService.ports.includes(Number(port))
        ? undefined
        : `upstream Service ${String(name)} has no port ${String(port)} (declared: ${upstreamService.ports.join(', ')})`;
    }
    if (!svc) return `no Service ${String(name)} in namespace ${namespace ?? '?'} on this site`;
    const ports = list(record(svc.object.spec).ports);
    return ports.some((p) => p.port === port || (typeof port === 'string' && p.name === port))
      ? undefined
      : `Service ${String(name)} has no port ${String(port)} (it has ${ports.map((p) => p.port).join(', ')})`;
  };
  for (const proxy of byKind('HTTPProxy')) {
    const spec = record(proxy.object.spec);
    const check = (services: unknown, base: string) =>
      list(services).forEach((s, i) => {
        const problem = servicePort(proxy.object.metadata.namespace, s.name, s.port);
        if (problem) at(proxy, 'route')(`${base}.services[${i}]`, problem);
      });
    list(spec.routes).forEach((r, i) => check(r.services, `spec.routes[${i}]`));
    if (spec.tcpproxy) check(record(spec.tcpproxy).services, 'spec.tcpproxy');
  }
  for (const ingress of byKind('Ingress')) {
    list(record(ingress.object.spec).rules).forEach((rule, i) =>
      list(record(rule.http).paths).forEach((p, j) => {
        const service = record(record(p.backend).service);
        const port = record(service.port);
        const problem = servicePort(ingress.object.metadata.namespace, service.name, port.number ?? port.name);
        if (problem) at(ingress, 'route')(`spec.rules[${i}].http.paths[${j}].backend`, problem);
      }),
    );
  }
  for (const c of site.components) {
    c.declarations.routes.forEach((route) => {
      const problem = route.backend.serviceName
        ? servicePort(route.backend.namespace, route.backend.serviceName, route.port)
        : 'the route backend names no Service (endpoint() needs serviceName)';
      if (problem)
        findings.push({
          site: siteName,
          component: c.name,
          object: `route ${route.host}${route.pathPrefix}`,
          field: 'backend',
          message: problem,
          rule: 'route',
        });
    });
  }

  const classes = new Set(byKind('StorageClass').map((o) => o.object.metadata.name));
  const claimClass = (o: Located, claimSpec: Record<string, unknown>, field: string) => {
    const name = claimSpec.storageClassName;
    if (typeof name !== 'string' || name === '') {
      at(o, 'storage-class')(field, `a claim must name its StorageClass (the site defines: ${[...classes].sort().join(', ') || 'none'})`);
    } else if (!classes.has(name)) {
      at(o, 'storage-class')(
        field,
        `StorageClass ${name} is not defined on this site (it defines: ${[...classes].sort().join(', ') || 'none'})`,
      );
    }
  };
  for (const pvc of byKind('PersistentVolumeClaim')) claimClass(pvc, record(pvc.object.spec), 'spec.storageClassName');
  for (const sts of byKind('StatefulSet')) {
    list(record(sts.object.spec).volumeClaimTemplates).forEach((t, i) =>
      claimClass(sts, record(t.spec), `spec.volumeClaimTemplates[${i}].spec.storageClassName`),
    );
  }

  const exceptions = site.components.flatMap((c) => c.declarations.policyExceptions.map((e) => ({ ...e, component: c.name })));
  return findings
    .filter((f) => !exceptions.some((e) => e.component === f.component && e.object === f.object && e.rule === f.rule))
    .map(({ rule, ...f }) => ({ ...f, message: `[${rule}] ${f.message}` }));
}
