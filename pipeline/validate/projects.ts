/**
 * Every object a child Application syncs must be one its AppProject allows: a kind in the
 * project's whitelist for its scope and not in its blacklist, a namespace among its destinations.
 * Argo CD would refuse the sync on the cluster; synth refuses it first, naming the object.
 */
import { APPS_DIRECTORY } from '../../charts/argocd/constants';
import { apiGroup, isClusterScoped } from '../../model/cluster-scoped';
import type { Finding } from '../../model/errors';
import type { RenderedSite } from '../render';
import { list, objectId, record } from './context';

const kindKeys = (value: unknown) => new Set(list(value).map((k) => `${String(k.group)}/${String(k.kind)}`));

/** Findings for objects outside the project of the Application that syncs their component. */
export function checkProjects(site: RenderedSite): Finding[] {
  const apps = site.components.find((c) => c.name === APPS_DIRECTORY);
  if (!apps) return [];
  const projects = new Map(apps.objects.filter((o) => o.kind === 'AppProject').map((o) => [o.metadata.name, record(o.spec)]));
  const findings: Finding[] = [];
  for (const application of apps.objects.filter((o) => o.kind === 'Application')) {
    const spec = record(application.spec);
    const component = site.components.find((c) => c.name === application.metadata.name);
    const projectName = String(spec.project);
    const project = projects.get(projectName);
    if (!component || !project) continue;
    const clusterKinds = kindKeys(project.clusterResourceWhitelist);
    const namespacedKinds = kindKeys(project.namespaceResourceWhitelist);
    const denied = kindKeys(project.namespaceResourceBlacklist);
    const destinations = new Set(list(project.destinations).map((d) => String(d.namespace)));
    component.objects.forEach((object) => {
      const kind = `${apiGroup(object.apiVersion)}/${object.kind}`;
      const at = (field: string, message: string) =>
        findings.push({ site: site.site.name, component: component.name, object: objectId(object), field, message });
      const clusterScoped = isClusterScoped(object.kind);
      const allowed = clusterScoped ? clusterKinds.has(kind) : namespacedKinds.has(kind) && !denied.has(kind);
      if (!allowed)
        at(
          'kind',
          `${kind} is outside AppProject ${projectName}'s ${clusterScoped ? 'clusterResourceWhitelist' : 'namespaceResourceWhitelist'}: Argo CD would refuse to sync it (only the root creates Applications and AppProjects)`,
        );
      const namespace = object.metadata.namespace ?? component.kustomize.namespace;
      if (!clusterScoped && namespace !== undefined && !destinations.has(namespace))
        at(
          'metadata.namespace',
          `namespace ${namespace} is not a destination of AppProject ${projectName}: declare it (ownNamespace or alsoDeploysTo)`,
        );
    });
  }
  return findings;
}
