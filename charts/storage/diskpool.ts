/**
 * A small typed binding for Mayastor's DiskPool. Upstream publishes no CRD file (the diskpool
 * operator registers the CRD at run time), so there is nothing to generate imports/ from; the
 * fields are those of openebs/mayastor-control-plane@v2.7.1:k8s/operators/src/pool/diskpool/crd/v1beta2.rs.
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

/** `spec` of a DiskPool (openebs.io/v1beta2). */
export interface DiskPoolSpec {
  /** Kubernetes node name the pool lives on. */
  readonly node: string;
  /** Exactly one device URI (`aio:///dev/disk/by-id/...`, `uring://...` or `/dev/...`). */
  readonly disks: readonly [string];
  /**
   * Labels the pool is placed by (`poolAffinityTopologyLabel` in a StorageClass).
   * @default none
   */
  readonly topology?: { readonly labelled?: Readonly<Record<string, string>> };
}

/** Props of a DiskPool. */
export interface DiskPoolProps {
  /** Object metadata; the pool must be in the namespace Mayastor runs in. */
  readonly metadata: {
    /** The pool's name. */
    readonly name: string;
    /** Mayastor's namespace. */
    readonly namespace: string;
    /**
     * Labels of the object.
     * @default none
     */
    readonly labels?: Record<string, string>;
    /**
     * Annotations of the object (the sync wave).
     * @default none
     */
    readonly annotations?: Record<string, string>;
  };
  /** Pool spec. */
  readonly spec: DiskPoolSpec;
}

export class DiskPool extends ApiObject {
  static readonly GVK = { apiVersion: 'openebs.io/v1beta2', kind: 'DiskPool' } as const;

  constructor(scope: Construct, id: string, props: DiskPoolProps) {
    super(scope, id, {
      ...DiskPool.GVK,
      metadata: props.metadata,
      spec: { node: props.spec.node, disks: [...props.spec.disks], ...(props.spec.topology ? { topology: props.spec.topology } : {}) },
    });
  }
}
