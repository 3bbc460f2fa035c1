/**
 * The image-resizing service of seed 001 as a platform component: an API that accepts uploads,
 * stores the original and publishes one job per upload on the bus, and workers that consume the
 * jobs through a durable JetStream consumer and write every configured size to the object store.
 * The API scales on CPU (HorizontalPodAutoscaler), the workers on the consumer's lag (KEDA).
 * It receives the bus and the store as typed objects; its network flows, credentials and sync
 * order follow from the grants.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { ScaledObject } from '../../imports/keda-keda.sh';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import { publicHost } from '../contour/route-proxy';
import { natsJetStreamTrigger } from '../keda/keda';
import { pullConsumerPublishSubjects, type Bus, type BusAccess, type ConsumerSpec } from '../lib/bus';
import type { Endpoint } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import type { BucketAccess, ObjectStore } from '../lib/object-store';
import {
  TMP_MOUNT,
  TMP_VOLUME,
  httpProbe,
  podDisruptionBudget,
  resources,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  spreadOverNodes,
  restartOnSecretChange,
  secretEnv,
} from '../lib/workload';
import { RESIZER_CONTRACT as C, RESIZER_READINESS, RESIZER_SIZES, RESIZER_WORKLOADS, sizesEnv, type ResizerRole } from './config';
import { COMPONENT } from '../../model/components';
import { resizerAlerts } from './alerts';

/** Pending jobs per worker KEDA scales on (a job is 4 resizes of one image). */
const LAG_PER_WORKER = 20;
import { singleReplicaNodeLoss, spreadNodeLoss } from '../lib/resilience';

export const RESIZER = COMPONENT.resizer;

/** Props of the resizer. */
export interface ResizerProps {
  /** The site's bus (stream, consumer and credentials are declared through it). */
  readonly bus: Bus;
  /** The site's object store (bucket and credentials are granted through it). */
  readonly store: ObjectStore;
  /**
   * The component installing KEDA (the ScaledObject kind), synced before the resizer.
   * @default none: nothing installs the kind on this site (tests)
   */
  readonly autoscaler?: PlatformComponent;
}

export class ResizerComponent extends PlatformComponent {
  /** API pods and their HTTP port. */
  readonly api: Endpoint;
  /** Worker pods. */
  readonly workers: Endpoint;

  constructor(scope: Construct, context: SiteContext, props: ResizerProps) {
    super(scope, { name: RESIZER, context, namespace: RESIZER });
    this.ownNamespace({ name: RESIZER, podSecurity: 'restricted' });
    const { bus, store } = props;
    const config = this.site.resizer;
    const http = { port: C.port, name: 'http' };
    this.api = this.endpoint({ podLabels: commonLabels(RESIZER, 'api'), ports: [http], serviceName: RESIZER_WORKLOADS.api });
    this.workers = this.endpoint({ podLabels: commonLabels(RESIZER, 'worker'), ports: [http] });
    if (props.autoscaler) this.dependOn(props.autoscaler);
    this.dependOn(bus.component);
    this.declareFailureBehaviour({
      serves: 'the image resizer: public uploads (API) and resizing (workers)',
      nodeLoss: config.api.min >= 2 ? spreadNodeLoss('the API', config.api.min) : singleReplicaNodeLoss('the API', 'uploads fail'),
      edgeLoss: { state: 'down', reason: 'uploads arrive from the public through the edge; queued jobs are still resized' },
      needs: [
        { component: bus.component.componentName, whenDown: { state: 'down', reason: 'uploads cannot be queued and workers get no job' } },
        { component: store.component.componentName, whenDown: { state: 'down', reason: 'originals cannot be stored nor read' } },
      ],
    });

    // A work queue: each job is consumed once; 3 copies inside the site's bus cluster.
    const consumer: ConsumerSpec = { stream: C.stream, durable: C.consumer, ackWait: '2m', maxDeliver: 5 };
    bus.declareStream(
      {
        name: C.stream,
        subjects: [C.subject],
        retention: 'workqueue',
        replicas: 3,
        maxAge: '72h',
        maxBytesMiB: 1024,
        // A job given up after 5 deliveries is reported and kept 14 days, past the original's 72 h:
        // the alert does not clear by itself when the original expires unseen (a long weekend), and
        // the record still says which job was lost and when. 64 MiB: well over 100,000 advisories
        // of a few hundred bytes each.
        deadLetters: { maxAge: '336h', maxBytesMiB: 64 },
      },
      [consumer],
    );
    // Each workload logs in to the bus as a user of its own name.
    const apiBus = bus.grant(this, this.api, RESIZER_WORKLOADS.api, { publish: [C.subject], subscribe: ['_INBOX.>'] });
    // Workers may address JetStream with or without the site's domain prefix (docs/resizer.md).
    const workerBus = bus.grant(this, this.workers, RESIZER_WORKLOADS.worker, {
      publish: pullConsumerPublishSubjects(consumer, bus.domain),
      subscribe: ['_INBOX.>'],
    });
    // The API stores originals, the workers read them and write the sizes: one bucket, both roles.
    const apiStore = store.grant(this, this.api, C.bucketPurpose);
    const workerStore = store.grant(this, this.workers, C.bucketPurpose);

    const api = this.deployment('api', config.api.min, apiBus, apiStore, resources({ cpuMillis: 100, memoryMiB: 192 }), [
      { name: 'MAX_UPLOAD_BYTES', value: String(C.maxUploadMiB * 1024 * 1024) },
    ]);
    const worker = this.deployment(
      'worker',
      Math.max(1, config.workers.min),
      workerBus,
      workerStore,
      resources({ cpuMillis: 250, memoryMiB: 384 }),
      [{ name: 'RESIZE_CONSUMER', value: C.consumer }],
    );

    new k8s.KubeService(this, 'api-service', {
      metadata: { name: this.api.serviceName, namespace: RESIZER, labels: this.api.podLabels },
      spec: { selector: this.api.podLabels, ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromString('http') }] },
    });

    new k8s.KubeHorizontalPodAutoscalerV2(this, 'api-hpa', {
      metadata: { name: api.name, namespace: RESIZER, labels: this.api.podLabels },
      spec: {
        scaleTargetRef: { apiVersion: api.apiVersion, kind: api.kind, name: api.name },
        minReplicas: config.api.min,
        maxReplicas: config.api.max,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        // Scale down slowly: upload bursts come in waves.
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      },
    });

    new ScaledObject(this, 'worker-scaler', {
      metadata: { name: worker.name, namespace: RESIZER, labels: this.workers.podLabels },
      spec: {
        // KEDA's default target kind is a Deployment.
        scaleTargetRef: { name: worker.name },
        minReplicaCount: config.workers.min,
        maxReplicaCount: config.workers.max,
        pollingInterval: 15,
        cooldownPeriod: 300,
        // One worker per 20 pending jobs (a job is 4 resizes of one image).
        triggers: [natsJetStreamTrigger(bus.lagTrigger(consumer), { lagThreshold: LAG_PER_WORKER })],
      },
    });

    this.exposeHttp({
      host: publicHost(this.site, 'images'),
      pathPrefix: '/',
      backend: this.api,
      port: 80,
      responseTimeout: '60s',
      idleTimeout: '120s',
      // Uploads are not idempotent: never replay them.
      retries: 0,
      maxRequestBodyMiB: C.maxUploadMiB,
    });
    for (const pods of [this.api, this.workers]) this.exposeMetrics({ pods, port: C.port, path: C.metricsPath });
    for (const alert of resizerAlerts(C.consumer, LAG_PER_WORKER, config.workers.max)) this.declareAlert(alert);
  }

  private deployment(
    role: ResizerRole,
    replicas: number,
    bus: BusAccess,
    bucket: BucketAccess,
    requirements: k8s.ResourceRequirements,
    extraEnv: k8s.EnvVar[],
  ): k8s.KubeDeployment {
    const name = RESIZER_WORKLOADS[role];
    const podLabels = { ...(role === 'api' ? this.api : this.workers).podLabels };
    const { image } = this.site.resizer;
    const digest = image.digests?.[name];
    const deployment = new k8s.KubeDeployment(this, role, {
      metadata: {
        name,
        namespace: RESIZER,
        labels: podLabels,
        annotations: restartOnSecretChange([bus.credentialsSecret, bucket.credentialsSecret]),
      },
      spec: {
        // The autoscaler owns the count afterwards; this is the count on first sync.
        replicas,
        selector: { matchLabels: podLabels },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) },
        },
        template: {
          metadata: { labels: podLabels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(),
            topologySpreadConstraints: spreadOverNodes(podLabels),
            // Workers finish (or nack) the job in hand before stopping.
            terminationGracePeriodSeconds: role === 'worker' ? 120 : 30,
            containers: [
              {
                name: role,
                image: `${image.registry}/${name}:${image.tag}${digest ? `@${digest}` : ''}`,
                ports: [{ name: 'http', containerPort: C.port }],
                env: [
                  { name: 'PORT', value: String(C.port) },
                  { name: 'NATS_URL', value: bus.url },
                  secretEnv('NATS_USER', bus.credentialsSecret, 'NATS_USER'),
                  secretEnv('NATS_PASSWORD', bus.credentialsSecret, 'NATS_PASSWORD'),
                  { name: 'NATS_JS_DOMAIN', value: bus.domain },
                  { name: 'RESIZE_STREAM', value: C.stream },
                  { name: 'RESIZE_SUBJECT', value: C.subject },
                  { name: 'S3_ENDPOINT', value: bucket.endpointUrl },
                  { name: 'S3_REGION', value: bucket.region },
                  { name: 'S3_BUCKET', value: bucket.bucket },
                  { name: 'S3_FORCE_PATH_STYLE', value: String(bucket.pathStyle) },
                  secretEnv('AWS_ACCESS_KEY_ID', bucket.credentialsSecret, 'AWS_ACCESS_KEY_ID'),
                  secretEnv('AWS_SECRET_ACCESS_KEY', bucket.credentialsSecret, 'AWS_SECRET_ACCESS_KEY'),
                  { name: 'RESIZE_SIZES', value: sizesEnv(RESIZER_SIZES) },
                  ...extraEnv,
                ],
                readinessProbe: httpProbe(C.readyPath, 'http', RESIZER_READINESS),
                livenessProbe: httpProbe(C.livePath, 'http', { periodSeconds: 10, failureThreshold: 3, initialDelaySeconds: 5 }),
                securityContext: restrictedContainerSecurity(),
                resources: requirements,
                volumeMounts: [TMP_MOUNT],
              },
            ],
            volumes: [TMP_VOLUME],
          },
        },
      },
    });
    podDisruptionBudget(this, { name, namespace: RESIZER, podLabels });
    return deployment;
  }
}
