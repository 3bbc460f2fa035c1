/** The site's object store, of the kind its site file chooses (sites/object-stores.ts). */
import type { Construct } from 'constructs';
import type { SiteContext } from '../component';
import type { SecretsComponent } from '../secrets/secrets';
import { AwsS3Store } from './aws';
import type { ObjectStoreComponent } from './common';
import { ExternalS3Store } from './external-s3';
import { MinioStore } from './minio';

export function buildObjectStore(scope: Construct, context: SiteContext, secrets: SecretsComponent): ObjectStoreComponent {
  const kind = context.site.objectStore.kind;
  switch (kind) {
    case 'minio':
      return new MinioStore(scope, context, secrets);
    case 's3':
      return new ExternalS3Store(scope, context, secrets);
    case 'aws':
      return new AwsS3Store(scope, context, secrets);
  }
}
