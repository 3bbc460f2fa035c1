/**
 * The resizer's product configuration, the same on every site (seed 001: each uploaded image is
 * resized into several sizes at once). Per-site facts (image, replica bounds) are in sites/.
 */
import { COMPONENT } from '../../model/components';

/** The resizer's two workloads. */
export type ResizerRole = 'api' | 'worker';

/**
 * Each role's image name, which also names its Deployment (with its Service, PodDisruptionBudget
 * and autoscaler), its bus user, and its key in a site's `resizer.image.digests`.
 */
export const RESIZER_WORKLOADS: Readonly<Record<ResizerRole, string>> = {
  api: `${COMPONENT.resizer}-api`,
  worker: `${COMPONENT.resizer}-worker`,
};

/** One output size: images are scaled so that their longest edge is at most `maxEdgePx`. */
export interface ImageSize {
  /** Name, also the key prefix in the bucket (`<name>/<id>.<ext>`). */
  readonly name: string;
  /** Longest edge in pixels. */
  readonly maxEdgePx: number;
}

/** Sizes every upload is resized into. */
export const RESIZER_SIZES: readonly ImageSize[] = [
  { name: 'thumbnail', maxEdgePx: 150 },
  { name: 'small', maxEdgePx: 480 },
  { name: 'medium', maxEdgePx: 1024 },
  { name: 'large', maxEdgePx: 2048 },
];

/** The contract of both images (docs/resizer.md). */
export const RESIZER_CONTRACT = {
  /** HTTP port of both images: API, health and metrics. */
  port: 8080,
  /** Liveness path. */
  livePath: '/healthz/live',
  /** Readiness path (ready when the bus and the store answer). */
  readyPath: '/healthz/ready',
  /** Prometheus metrics path. */
  metricsPath: '/metrics',
  /** Largest upload accepted, MiB (the route's limit too). */
  maxUploadMiB: 20,
  /** JetStream stream of resize jobs. */
  stream: 'RESIZE',
  /** Subject the API publishes one job per upload to. */
  subject: 'resize.requests',
  /** Durable pull consumer the workers share. */
  consumer: 'resizer-workers',
  /** Bucket purpose (the store names the bucket). */
  bucketPurpose: 'images',
} as const;

/** How the kubelet asks both images' readiness (`C.readyPath`; Kubernetes defaults: timeout 1 s, one success). */
export const RESIZER_READINESS = {
  /** Between two probes, seconds. */
  periodSeconds: 5,
  /** Failed probes in a row that mark a pod NotReady (and take it out of its Service's endpoints). */
  failureThreshold: 3,
} as const;

/** `thumbnail=150,small=480,...`, the form of RESIZE_SIZES. */
export function sizesEnv(sizes: readonly ImageSize[]): string {
  return sizes.map((s) => `${s.name}=${s.maxEdgePx}`).join(',');
}
