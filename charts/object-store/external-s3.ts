/**
 * An existing S3-compatible service outside the cluster (the seed's MinIO on chataalk-dumas):
 * nothing runs here but the bucket-setup Job, which creates each purpose's bucket with that
 * purpose's own keys, and the egress rules to the service's addresses.
 */
import type { Construct } from 'constructs';
import type { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { Endpoint } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import type { BucketAccess } from '../lib/object-store';
import type { S3ObjectStore } from '../../sites';
import type { SecretsComponent } from '../secrets/secrets';
import { bucketSetup, SETUP_NAME } from './bucket-setup';
import { OBJECT_STORE, ObjectStoreComponent } from './common';
import { unaffected } from '../lib/resilience';

export class ExternalS3Store extends ObjectStoreComponent {
  private readonly config: S3ObjectStore;

  constructor(scope: Construct, context: SiteContext, secrets: SecretsComponent) {
    super(scope, context, secrets);
    if (context.site.objectStore.kind !== 's3') throw new Error('ExternalS3Store needs objectStore.kind s3');
    this.declareFailureBehaviour({
      serves: `an S3 service outside the cluster (${context.site.objectStore.endpoint})`,
      nodeLoss: unaffected('runs outside the cluster'),
    });
    this.config = context.site.objectStore;
    const setupPods = this.endpoint({ podLabels: commonLabels(OBJECT_STORE, 'buckets'), ports: [] });
    this.declareFlow(this, setupPods);
    bucketSetup(this, { mode: 's3', endpointUrl: this.config.endpoint, purposeSecret: (p) => this.setupSecret(p) }, () => this.granted);
  }

  /** The service's port, from the endpoint URL. */
  private port(): number {
    const url = new URL(this.config.endpoint);
    return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  }

  protected credentialsPath(purpose: string): string {
    return `${this.config.credentialsPath}/${purpose}`;
  }

  protected declareBucket(purpose: string): string {
    this.setupKeys(purpose, `${SETUP_NAME}-${purpose}`);
    return `${this.config.bucketPrefix}-${purpose}`;
  }

  protected declareFlow(client: PlatformComponent, pods: Endpoint): void {
    client.talksOutside({
      pods,
      direction: 'egress',
      cidrs: this.config.cidrs,
      ports: [{ port: this.port() }],
      reason: `S3-compatible object store ${this.config.endpoint} (sites/${this.site.name}.ts objectStore)`,
    });
  }

  protected location(): Pick<BucketAccess, 'endpointUrl' | 'region' | 'pathStyle'> {
    return { endpointUrl: this.config.endpoint, region: this.config.region, pathStyle: this.config.pathStyle };
  }
}
