/**
 * What the three object-store kinds share: the component (`object-store`, namespace
 * `object-store`), the list of granted buckets, and the per-purpose credentials Secret that each
 * client gets in its own namespace from Vault.
 */
import type { Construct } from 'constructs';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { Endpoint } from '../lib/declarations';
import type { BucketAccess, BucketOptions, ObjectStore } from '../lib/object-store';
import { VaultSecret, type SecretsComponent } from '../secrets/secrets';
import { COMPONENT, registryRank } from '../../model/components';

export const OBJECT_STORE = COMPONENT.objectStore;

/** A bucket some client was granted. */
export interface GrantedBucket {
  /** Purpose the client asked for (`images`, `backups`, ...): names the bucket and its credentials. */
  readonly purpose: string;
  /** Bucket name (a CloudFormation token for `aws` until synth resolves it). */
  readonly bucket: string;
  /** Lifecycle. */
  readonly options: BucketOptions;
  /** Components using it. */
  readonly clients: string[];
}

const PURPOSE = /^[a-z][a-z0-9-]{0,20}$/;

export abstract class ObjectStoreComponent extends PlatformComponent implements ObjectStore {
  readonly component: PlatformComponent = this;
  protected readonly buckets = new Map<string, GrantedBucket>();
  private readonly setupSecrets = new Map<string, VaultSecret>();

  constructor(
    scope: Construct,
    context: SiteContext,
    protected readonly secrets: SecretsComponent,
  ) {
    super(scope, { name: OBJECT_STORE, context, namespace: OBJECT_STORE });
    this.ownNamespace({ name: OBJECT_STORE, podSecurity: 'restricted' });
  }

  /**
   * The buckets granted so far, in the registry's order of their clients (model/components.ts),
   * whatever order the clients were built in.
   */
  get granted(): readonly GrantedBucket[] {
    const firstClient = (b: GrantedBucket) => Math.min(...b.clients.map(registryRank));
    return [...this.buckets.values()]
      .map((bucket, i) => ({ bucket, i }))
      .sort((a, b) => firstClient(a.bucket) - firstClient(b.bucket) || a.i - b.i)
      .map(({ bucket }) => ({ ...bucket, clients: [...bucket.clients].sort((a, b) => registryRank(a) - registryRank(b)) }));
  }

  /** Vault path (under the KV mount) of a purpose's access keys. */
  protected abstract credentialsPath(purpose: string): string;
  /** Declares the bucket for a purpose the first time it is granted; returns its name. */
  protected abstract declareBucket(purpose: string, options: BucketOptions): string;
  /** Declares the network flow from the client's pods to the store. */
  protected abstract declareFlow(client: PlatformComponent, pods: Endpoint): void;
  /** Endpoint URL, region and addressing style clients use. */
  protected abstract location(): Pick<BucketAccess, 'endpointUrl' | 'region' | 'pathStyle'>;

  grant(client: PlatformComponent, pods: Endpoint, purpose: string, options: BucketOptions = {}): BucketAccess {
    this.assertOpen('grant');
    if (!PURPOSE.test(purpose))
      throw new Error(`object store: purpose '${purpose}' of ${client.componentName} must be a short lowercase name`);
    let granted = this.buckets.get(purpose);
    if (!granted) {
      granted = { purpose, bucket: this.declareBucket(purpose, options), options, clients: [] };
      this.buckets.set(purpose, granted);
    } else if (granted.options.expireAfterDays !== options.expireAfterDays) {
      throw new Error(`object store: bucket '${purpose}' is granted with two different lifecycles`);
    }
    if (!granted.clients.includes(client.componentName)) granted.clients.push(client.componentName);
    // One Secret per client, purpose and namespace, however many of its workloads are granted.
    const secretName = `${client.componentName}-${purpose}-s3`;
    const id = `${OBJECT_STORE}-${purpose}-credentials-${pods.namespace}`;
    const credentialsSecret =
      (client.node.tryFindChild(id) as VaultSecret | undefined) ??
      new VaultSecret(client, id, { store: this.secrets, name: secretName, namespace: pods.namespace, data: this.accessKeyData(purpose) });
    client.dependOn(this);
    this.declareFlow(client, pods);
    return { ...this.location(), bucket: granted.bucket, credentialsSecret };
  }

  /**
   * The purpose's keys in the store's own namespace, for the bucket setup Job (which creates the
   * bucket, and for MinIO the user holding exactly these keys).
   */
  protected setupKeys(purpose: string, secretName: string): void {
    const keys = new VaultSecret(this, `keys-${purpose}`, {
      store: this.secrets,
      name: secretName,
      namespace: OBJECT_STORE,
      data: this.accessKeyData(purpose),
    });
    this.setupSecrets.set(purpose, keys);
  }

  /** The Secret with a purpose's keys in the store's namespace, for the bucket setup Job. */
  protected setupSecret(purpose: string): VaultSecret {
    const keys = this.setupSecrets.get(purpose);
    if (!keys) throw new Error(`object store: no keys for the purpose '${purpose}'`);
    return keys;
  }

  /** The Secret keys S3 clients read, from the purpose's Vault entry. */
  protected accessKeyData(purpose: string): Record<string, { path: string; property: string }> {
    const path = this.credentialsPath(purpose);
    return {
      AWS_ACCESS_KEY_ID: { path, property: 'access_key_id' },
      AWS_SECRET_ACCESS_KEY: { path, property: 'secret_access_key' },
    };
  }
}
