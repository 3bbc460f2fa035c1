/**
 * MinIO in the cluster: ONE server on ONE Mayastor volume that Mayastor replicates synchronously
 * on two nodes. Why not distributed mode: it needs at least 4 drives; on 3 nodes one node carries
 * 2 of them, and losing that node leaves 2 of 4 drives, below the write quorum (N/2+1 = 3), so
 * writes stop anyway, for 4 MinIO pods' memory on 4 GiB nodes. One server on a replicated volume
 * survives any single node loss after a restart elsewhere, at the memory cost of one pod; the
 * restart waits for the volume's forced detachment from the lost node (more than 7 minutes, see
 * the failure declaration below).
 */
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { Endpoint } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import type { BucketAccess } from '../lib/object-store';
import { attachedVolumeNodeLoss } from '../lib/resilience';
import {
  TMP_MOUNT,
  TMP_VOLUME,
  httpProbe,
  resources,
  restartOnSecretChange,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  secretEnv,
} from '../lib/workload';
import type { MinioObjectStore } from '../../sites';
import { VaultSecret, type SecretsComponent } from '../secrets/secrets';
import type { MayastorComponent } from '../storage/mayastor';
import { bucketSetup, SETUP_NAME } from './bucket-setup';
import { OBJECT_STORE, ObjectStoreComponent } from './common';

/** Pinned MinIO server release (a real release tag; no digest is invented). */
export const MINIO_IMAGE = 'quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z';
export const MINIO_NAME = `${OBJECT_STORE}-minio`;
const S3_PORT = 9000;
/** How long MinIO's pod stays on a NotReady or unreachable node before it is evicted. */
const FAILED_NODE_TOLERATION_SECONDS = 30;

export class MinioStore extends ObjectStoreComponent {
  /** MinIO's pods and S3 port. */
  readonly server: Endpoint;
  private readonly config: MinioObjectStore;

  /**
   * `storage`: MinIO runs as a single server and keeps one copy of each object, so its volume takes
   * the replicated class (two synchronous Mayastor copies): the data survives the loss of a node.
   */
  constructor(scope: Construct, context: SiteContext, secrets: SecretsComponent, storage: MayastorComponent) {
    super(scope, context, secrets);
    this.dependOn(storage);
    if (context.site.objectStore.kind !== 'minio') throw new Error('MinioStore needs objectStore.kind minio');
    this.declareFailureBehaviour({
      serves: 'MinIO: the site object store (one server on a 2-replica Mayastor volume)',
      // Mayastor's CSI controller publishes volumes to nodes (openebs/mayastor-control-plane@v2.7.1:
      // control-plane/csi-driver/src/bin/controller/controller.rs, PublishUnpublishVolume; the chart
      // runs csi-attacher): the volume's other copy is served elsewhere only once it is detached.
      nodeLoss: attachedVolumeNodeLoss('one MinIO server', FAILED_NODE_TOLERATION_SECONDS),
      needs: [{ component: storage.componentName, whenDown: { state: 'down', reason: 'its volume is served by Mayastor' } }],
    });
    this.config = context.site.objectStore;
    const podLabels = commonLabels(OBJECT_STORE, 'minio');
    this.server = this.endpoint({ podLabels, ports: [{ port: S3_PORT, name: 's3' }], serviceName: MINIO_NAME });

    const root = new VaultSecret(this, 'minio-root', {
      store: secrets,
      name: `${MINIO_NAME}-root`,
      namespace: OBJECT_STORE,
      data: {
        user: { path: this.config.rootCredentialsPath, property: 'user' },
        password: { path: this.config.rootCredentialsPath, property: 'password' },
      },
    });

    new k8s.KubePersistentVolumeClaim(this, 'minio-data', {
      metadata: { name: `${MINIO_NAME}-data`, namespace: OBJECT_STORE, labels: podLabels },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: storage.replicated.name,
        resources: { requests: { storage: k8s.Quantity.fromString(`${this.config.volumeGiB}Gi`) } },
      },
    });

    new k8s.KubeDeployment(this, 'minio', {
      // A rotated root password restarts the server (Recreate: the store is down for that restart).
      metadata: { name: MINIO_NAME, namespace: OBJECT_STORE, labels: podLabels, annotations: restartOnSecretChange([root]) },
      spec: {
        replicas: 1,
        // The volume is ReadWriteOnce: the old pod must be gone before the new one mounts it.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: podLabels },
        template: {
          metadata: { labels: podLabels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(),
            // Leave a failed node after 30 s instead of the default 300 s.
            tolerations: ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map((key) => ({
              key,
              operator: 'Exists',
              effect: 'NoExecute',
              tolerationSeconds: FAILED_NODE_TOLERATION_SECONDS,
            })),
            containers: [
              {
                name: 'minio',
                image: MINIO_IMAGE,
                args: ['server', '/data', '--address', `:${S3_PORT}`, '--certs-dir', '/tmp/certs'],
                env: [
                  secretEnv('MINIO_ROOT_USER', root, 'user'),
                  secretEnv('MINIO_ROOT_PASSWORD', root, 'password'),
                  // Prometheus scrapes /minio/v2/metrics/cluster without a bearer token (in-cluster only, NetworkPolicy-limited).
                  { name: 'MINIO_PROMETHEUS_AUTH_TYPE', value: 'public' },
                  { name: 'MINIO_BROWSER', value: 'off' },
                ],
                ports: [{ name: 's3', containerPort: S3_PORT }],
                readinessProbe: httpProbe('/minio/health/ready', 's3', { periodSeconds: 10 }),
                livenessProbe: httpProbe('/minio/health/live', 's3', { periodSeconds: 10, failureThreshold: 6, initialDelaySeconds: 10 }),
                securityContext: restrictedContainerSecurity(),
                resources: resources({ cpuMillis: 100, memoryMiB: 512 }),
                volumeMounts: [TMP_MOUNT, { name: 'data', mountPath: '/data' }],
              },
            ],
            volumes: [TMP_VOLUME, { name: 'data', persistentVolumeClaim: { claimName: `${MINIO_NAME}-data` } }],
          },
        },
      },
    });
    // One replica: a PodDisruptionBudget would either block every drain or allow nothing; the
    // volume's second Mayastor replica is what survives the node.

    new k8s.KubeService(this, 'minio-service', {
      metadata: { name: MINIO_NAME, namespace: OBJECT_STORE, labels: podLabels },
      spec: { selector: podLabels, ports: [{ name: 's3', port: S3_PORT, targetPort: k8s.IntOrString.fromString('s3') }] },
    });
    this.exposeMetrics({ pods: this.server, port: S3_PORT, path: '/minio/v2/metrics/cluster' });

    const setupPods = this.endpoint({ podLabels: commonLabels(OBJECT_STORE, 'buckets'), ports: [] });
    this.talksTo(setupPods, this.server);
    bucketSetup(
      this,
      { mode: 'minio', endpointUrl: this.location().endpointUrl, rootSecret: root, purposeSecret: (p) => this.setupSecret(p) },
      () => this.granted,
    );
  }

  protected credentialsPath(purpose: string): string {
    return `${this.config.rootCredentialsPath.replace(/\/[^/]*$/, '')}/${purpose}`;
  }

  protected declareBucket(purpose: string): string {
    // The setup Job creates the bucket and a user holding exactly the client's keys.
    this.setupKeys(purpose, `${SETUP_NAME}-${purpose}`);
    return purpose;
  }

  protected declareFlow(client: PlatformComponent, pods: Endpoint): void {
    client.talksTo(pods, this.server);
  }

  protected location(): Pick<BucketAccess, 'endpointUrl' | 'region' | 'pathStyle'> {
    return { endpointUrl: `http://${MINIO_NAME}.${OBJECT_STORE}.svc:${S3_PORT}`, region: 'us-east-1', pathStyle: true };
  }
}
