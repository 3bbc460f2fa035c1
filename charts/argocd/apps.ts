import type { Construct } from 'constructs';
import { AppProject, Application, type ApplicationSpecSources } from '../../imports/argocd-argoproj.io';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { DeclaredComponent } from '../lib/declared';
import { commonLabels } from '../lib/labels';
import { CASCADE_FINALIZERS } from '../lib/sync-order';
import { syncWaves } from '../lib/sync-waves';
import { APPS_DIRECTORY, ARGOCD_NAMESPACE, IN_CLUSTER, PROJECT, sitePath } from './constants';
import { projectKinds, ROOT_ONLY_KINDS, type GroupKind } from './project-kinds';
import { renderTeamProjects } from './team-projects';
import { renderRoot, SYNC_RETRY, waveAnnotation } from './root';
import { unaffected } from '../lib/resilience';

/**
 * The app-of-apps: the site's AppProject, one child Application per component directory, ordered
 * by sync waves derived from the components' declared dependencies, and the root itself.
 */
export class AppsComponent extends PlatformComponent {
  /** The highest wave of the root's sync (the root's own object is applied there). */
  readonly lastWave: number;

  /**
   * @param components what Argo CD syncs, as declared
   * @param rendered the kinds each of them renders, by component name (project-kinds.ts, renderedKinds)
   */
  constructor(
    scope: Construct,
    context: SiteContext,
    components: readonly DeclaredComponent[],
    rendered: ReadonlyMap<string, readonly GroupKind[]>,
  ) {
    super(scope, { name: APPS_DIRECTORY, context, namespace: ARGOCD_NAMESPACE });
    this.declareFailureBehaviour({
      serves: 'the Applications (objects only, no pods)',
      nodeLoss: unaffected('objects in the API, no pods'),
    });
    const waves = syncWaves(components, this.site.name);
    this.lastWave = Math.max(0, ...waves.values());
    const { repoUrl, revision } = this.site.gitops;
    const helmRepos = components.flatMap((c) => (c.helmChart ? [c.helmChart.upstream.chart.repoURL] : []));
    const namespaces = components.flatMap((c) => c.namespaces.map((n) => n.name));
    const componentNamespaces = components.flatMap((c) => (c.namespace ? [c.namespace] : []));
    const chartNamespaces = components.flatMap((c) => (c.helmChart?.alsoDeploysTo ?? []).map((d) => d.namespace));
    const kinds = projectKinds(components, rendered);

    new AppProject(this, 'project', {
      metadata: { name: PROJECT, namespace: ARGOCD_NAMESPACE, labels: commonLabels(APPS_DIRECTORY), annotations: waveAnnotation(-1) },
      spec: {
        description: `Platform components of site ${this.site.name} (${this.site.location})`,
        sourceRepos: sorted([repoUrl, ...helmRepos]),
        // Only this cluster, only the namespaces our components declare or deploy into.
        destinations: sorted([...namespaces, ...componentNamespaces, ...chartNamespaces]).map((namespace) => ({
          server: IN_CLUSTER,
          namespace,
        })),
        // Only the kinds the components render and their upstream releases create (project-kinds.ts).
        clusterResourceWhitelist: [...kinds.cluster],
        namespaceResourceWhitelist: [...kinds.namespaced],
        // Only the root creates Applications and projects, even if a kind above were widened.
        namespaceResourceBlacklist: [...ROOT_ONLY_KINDS],
        orphanedResources: { warn: true },
      },
    });

    renderTeamProjects(this, context.access, new Set([...namespaces, ...componentNamespaces, ...chartNamespaces]));

    for (const component of components) {
      const wave = waves.get(component.name) ?? 0;
      const autoscaled = component.autoscaled;
      const ownSource = { repoUrl, targetRevision: revision, path: sitePath(this.site.name, component.name) };
      const helm = component.helmChart;
      const sources: ApplicationSpecSources[] | undefined = helm
        ? [
            {
              repoUrl: helm.upstream.chart.repoURL,
              chart: helm.upstream.chart.name,
              targetRevision: helm.upstream.chart.version,
              helm: { releaseName: helm.releaseName, valuesObject: helm.values },
            },
            ownSource,
          ]
        : undefined;
      new Application(this, component.name, {
        metadata: {
          name: component.name,
          namespace: ARGOCD_NAMESPACE,
          labels: commonLabels(APPS_DIRECTORY),
          annotations: waveAnnotation(wave),
          // Removing a component from the code removes its objects from the cluster (unless they must stay).
          ...(component.keepObjectsOnRemoval ? {} : { finalizers: [CASCADE_FINALIZERS[0]!] }),
        },
        spec: {
          project: PROJECT,
          ...(sources ? { sources } : { source: ownSource }),
          destination: { server: IN_CLUSTER, namespace: component.namespace ?? ARGOCD_NAMESPACE },
          // Autoscalers own these replica counts; without this, self-heal would reset them.
          ...(autoscaled.length > 0
            ? {
                ignoreDifferences: autoscaled.map((w) => ({
                  group: 'apps',
                  kind: w.kind,
                  name: w.name,
                  namespace: w.namespace,
                  jsonPointers: ['/spec/replicas'],
                })),
              }
            : {}),
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: [
              // A chart's CRDs and the custom resources using them arrive in the same sync.
              'SkipDryRunOnMissingResource=true',
              'PruneLast=true',
              ...(component.ownsCrds ? ['ServerSideApply=true'] : []),
              ...(autoscaled.length > 0 ? ['RespectIgnoreDifferences=true'] : []),
            ],
            retry: SYNC_RETRY,
          },
        },
      });
    }
    renderRoot(this, this.lastWave);
  }
}

function sorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
