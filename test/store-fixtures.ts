/** A site with a chosen object store, rendered with one client granted buckets (no bus needed). */
import { App } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../charts/component';
import { siteContext, type SiteContext } from '../charts/context';
import type { BucketAccess, StackOutputs } from '../charts/lib/object-store';
import { buildObjectStore } from '../charts/object-store';
import { MayastorComponent } from '../charts/storage/mayastor';
import type { ObjectStoreComponent } from '../charts/object-store/common';
import { SecretsComponent } from '../charts/secrets/secrets';
import type { KubeObject } from '../pipeline/render';
import type { ObjectStoreChoice, Site } from '../sites';
import { SITES, EDGE } from '../sites';
import { unaffected } from '../charts/lib/resilience';

/** A client that stores objects: one Deployment reading the bucket access as env. */
export class StoreClient extends PlatformComponent {
  readonly access: BucketAccess[] = [];
  constructor(scope: Construct, context: SiteContext, store: ObjectStoreComponent, grants: readonly [string, number?][]) {
    super(scope, { name: 'client', context, namespace: 'client' });
    this.declareFailureBehaviour({ serves: 'a test component', nodeLoss: unaffected('a test component') });
    const podLabels = { app: 'client' };
    const pods = this.endpoint({ podLabels, ports: [] });
    for (const [purpose, days] of grants)
      this.access.push(store.grant(this, pods, purpose, days === undefined ? {} : { expireAfterDays: days }));
    new k8s.KubeConfigMap(this, 'env', {
      metadata: { name: 'client-env' },
      data: Object.fromEntries(
        this.access.flatMap((a, i) => [
          [`BUCKET_${i}`, a.bucket],
          [`REGION_${i}`, a.region],
          [`ENDPOINT_${i}`, a.endpointUrl],
        ]),
      ),
    });
  }
}

export function siteWithStore(name: string, objectStore: ObjectStoreChoice): Site {
  return { ...SITES.find((s) => s.name === name)!, objectStore };
}

/** Builds secrets + store + client for a site and renders every chart. */
export function renderStore(
  site: Site,
  grants: readonly [string, number?][],
  stackOutputs?: StackOutputs,
): { store: ObjectStoreComponent; client: StoreClient; objects: (component: string) => KubeObject[] } {
  const app = new App({ outdir: 'dist/cdk8s' });
  const context = siteContext(site, { sites: SITES.map((s) => (s.name === site.name ? site : s)), edge: EDGE }, stackOutputs);
  const secrets = new SecretsComponent(app, context);
  const store = buildObjectStore(app, context, { secrets, storage: new MayastorComponent(app, context) });
  const client = new StoreClient(app, context, store, grants);
  const charts = new Map<string, PlatformComponent>([
    ['object-store', store],
    ['client', client],
  ]);
  const objects = (component: string): KubeObject[] => {
    const json = context.findings.attribute(component, () => charts.get(component)!.toJson() as KubeObject[]);
    context.findings.throwIfAny();
    return json;
  };
  return { store, client, objects };
}
