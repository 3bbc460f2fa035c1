/**
 * Stakater Reloader: restarts the workloads that read a Secret filled from Vault when that
 * Secret's data changes (a rotation External Secrets copied from Vault), so that old and new pods
 * do not disagree on a credential until someone restarts them. Which Secrets a workload waits on
 * is its `secret.reloader.stakater.com/reload` annotation, set by `restartOnSecretChange`
 * (lib/workload.ts) from the VaultSecrets the workload reads; validation refuses a workload that
 * reads one without naming it (pipeline/validate/secret-reload.ts).
 */
import type { Construct } from 'constructs';
import { COMPONENT } from '../../model/components';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import { mergeValues, releasedWorkloads } from '../lib/released-workloads';
import { singleReplicaNodeLoss } from '../lib/resilience';
import { restrictedContainerSecurity, restrictedPodSecurityAsImageUser } from '../lib/workload';
import { RELOADER, RELOADER_WORKLOAD } from './release';

export const RELOADER_NAME = COMPONENT.reloader;
const NAMESPACE = RELOADER_NAME;
/** Where the chart's container serves `/live` and `/metrics` (templates/deployment.yaml). */
const HTTP_PORT = 9090;

/**
 * The values we set besides replicas and resources (keys read in the pinned chart's values.yaml
 * and checked with `helm template`).
 */
export interface ReloaderValues {
  readonly reloader: {
    /**
     * `annotations`: a restart is a `reloader.stakater.com/last-reloaded-from` annotation on the
     * pod template, the strategy Reloader's README gives for GitOps tools such as Argo CD; the
     * default (`env-vars`) adds an environment variable to the containers instead.
     */
    readonly reloadStrategy: 'annotations';
    /** Only workloads naming a Secret restart, never every workload (the chart's default, stated). */
    readonly autoReloadAll: false;
    /** No ConfigMap of ours changes outside git; a change in git already rolls the pods it changes. */
    readonly ignoreConfigMaps: true;
    /** The chart then mounts an emptyDir at /tmp and sets the container's root filesystem read-only. */
    readonly readOnlyRootFileSystem: true;
    readonly deployment: {
      readonly securityContext: ReturnType<typeof restrictedPodSecurityAsImageUser>;
      readonly containerSecurityContext: ReturnType<typeof restrictedContainerSecurity>;
    };
  };
}

/**
 * Reloader in its own namespace, restricted Pod Security, egress to the API server only (it
 * watches Secrets and patches Deployments, StatefulSets and DaemonSets, recreates Jobs: the chart's
 * ClusterRole). It gates nothing in the first sync: without it everything runs, and a rotation
 * waits for a restart by hand.
 */
export class ReloaderComponent extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext) {
    super(scope, { name: RELOADER_NAME, context, namespace: NAMESPACE });
    this.declareFailureBehaviour({
      serves: 'Reloader: restarts the workloads whose Vault-backed Secret changed',
      nodeLoss: singleReplicaNodeLoss('Reloader', 'a rotation made until it is rescheduled waits for a restart by hand'),
    });
    this.ownNamespace({ name: NAMESPACE, podSecurity: 'restricted' });
    this.syncOrder.syncsLast('a rotation waits for Reloader, nothing else does: every workload starts without it');
    const values: ReloaderValues = {
      reloader: {
        reloadStrategy: 'annotations',
        autoReloadAll: false,
        ignoreConfigMaps: true,
        readOnlyRootFileSystem: true,
        deployment: {
          securityContext: restrictedPodSecurityAsImageUser(),
          containerSecurityContext: restrictedContainerSecurity(),
        },
      },
    };
    this.useHelmChart({
      upstream: RELOADER,
      releaseName: RELOADER_NAME,
      values: mergeValues({ ...values }, releasedWorkloads(this, RELOADER)),
    });
    this.usesApiServer(this.endpoint({ podLabels: RELOADER_WORKLOAD.podLabels, ports: [{ port: HTTP_PORT, name: 'http' }] }));
  }
}
