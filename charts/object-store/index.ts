/** The site's object store, of the kind its site file chooses (sites/object-stores.ts). */
import type { Construct } from 'constructs';
import type { SiteContext } from '../context';
import type { SecretsComponent } from '../secrets/secrets';
import type { MayastorComponent } from '../storage/mayastor';
import { AwsS3Store } from './aws';
import type { ObjectStoreComponent } from './common';
import { ExternalS3Store } from './external-s3';
import { MinioStore } from './minio';

/** What a store is built from. */
export interface ObjectStoreDeps {
  /** Credentials come from Vault through it. */
  readonly secrets: SecretsComponent;
  /** Storage for an in-cluster store's volume. */
  readonly storage: MayastorComponent;
}

export function buildObjectStore(scope: Construct, context: SiteContext, { secrets, storage }: ObjectStoreDeps): ObjectStoreComponent {
  const kind = context.site.objectStore.kind;
  switch (kind) {
    case 'minio':
      return new MinioStore(scope, context, secrets, storage);
    case 's3':
      return new ExternalS3Store(scope, context, secrets);
    case 'aws':
      return new AwsS3Store(scope, context, secrets);
  }
}
