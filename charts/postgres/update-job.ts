/**
 * The Job applying the cluster spec in git to the running cluster. `--initial-cluster-spec` only
 * acts on an empty store; this Job runs UPDATE_SCRIPT (`stolonctl update -f` with the whole spec).
 *
 * A Job's pod template is immutable, and a completed Job is kept: a Job of the same name with a
 * different template fails the sync until someone deletes it. So the name is a checksum of
 * everything the Job runs: its whole spec (image, script, environment, resources) and the
 * cluster spec it applies. Any change is a new Job that Argo CD creates once (the previous one is
 * pruned), and the rendered diff shows it. Not a hook: a resync with nothing changed must not
 * re-apply the spec over a manual `stolonctl promote` (docs/runbooks/postgres-promotion.md).
 */
import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import type { PlatformComponent } from '../component';
import { commonLabels } from '../lib/labels';
import { ARGO_ANNOTATIONS } from '../lib/sync-order';
import { TMP_MOUNT, TMP_VOLUME, resources, restrictedContainerSecurity } from '../lib/workload';
import { SPEC_DIR, SPEC_FILE, storeEnv } from './pods';

/**
 * What the update Job runs. stolon refuses to change a running cluster's `initMode` (and so its
 * `pitrConfig`): those only describe how the site was first initialised, which the role in git
 * does not tell (a promoted standby was initialised with `pitr`). The script keeps the running
 * values of both and replaces everything else with the spec from git. It does not check the role:
 * `stolonctl update` itself refuses to turn a master into a standby (the Job then fails and
 * changes nothing), and a former primary is rebuilt instead (docs/runbooks/postgres-failback.md).
 * Exported for the test that runs it.
 */
export const UPDATE_SCRIPT = [
  'set -euo pipefail',
  // On a new site the sentinel first creates the cluster data from the same spec.
  'i=0',
  'until current=$(stolonctl spec 2>/dev/null) && [ -n "$current" ] && [ "$current" != null ]; do i=$((i+1)); [ "$i" -lt 120 ] || exit 1; echo "waiting for the cluster data"; sleep 5; done',
  'jq --argjson current "$current" \'.initMode = $current.initMode | if $current.pitrConfig then .pitrConfig = $current.pitrConfig else del(.pitrConfig) end\' "$SPEC_FILE" > "${TMPDIR:-/tmp}/cluster-spec.json"',
  'stolonctl update -f "${TMPDIR:-/tmp}/cluster-spec.json"',
  'stolonctl spec',
].join('\n');

/** What the Job is made of. */
export interface UpdateJobProps {
  /** Namespace of the stolon cluster. */
  readonly namespace: string;
  /** The stolon image (stolonctl, jq). */
  readonly image: string;
  /** The cluster spec it applies, as rendered into the spec ConfigMap. */
  readonly specJson: string;
  /** The spec ConfigMap. */
  readonly specConfigMap: string;
  /** Pod fields shared with the other stolon pods (service account, security context). */
  readonly podBase: Pick<k8s.PodSpec, 'serviceAccountName' | 'automountServiceAccountToken' | 'securityContext'>;
  /**
   * The script the Job runs (the tests change it to see the Job's name change).
   * @default UPDATE_SCRIPT
   */
  readonly script?: string;
  /**
   * Requests of the container.
   * @default 50 millicores, 64 MiB
   */
  readonly resources?: { readonly cpuMillis: number; readonly memoryMiB: number };
}

/** The Job's name and spec: the name is `stolon-update-` and a checksum of the spec and what it applies. */
export function updateJobManifest(
  component: string,
  props: UpdateJobProps,
): { name: string; labels: Record<string, string>; spec: k8s.JobSpec } {
  const labels = commonLabels(component, 'update');
  const spec: k8s.JobSpec = {
    backoffLimit: 3,
    activeDeadlineSeconds: 900,
    template: {
      metadata: { labels },
      spec: {
        ...props.podBase,
        restartPolicy: 'Never',
        containers: [
          {
            name: 'stolonctl',
            image: props.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['/bin/bash', '-c', props.script ?? UPDATE_SCRIPT],
            env: [...storeEnv('STOLONCTL'), { name: 'SPEC_FILE', value: `${SPEC_DIR}/${SPEC_FILE}` }],
            resources: resources(props.resources ?? { cpuMillis: 50, memoryMiB: 64 }),
            securityContext: restrictedContainerSecurity(),
            volumeMounts: [{ name: 'spec', mountPath: SPEC_DIR, readOnly: true }, TMP_MOUNT],
          },
        ],
        volumes: [{ name: 'spec', configMap: { name: props.specConfigMap } }, TMP_VOLUME],
      },
    },
  };
  const checksum = createHash('sha256')
    .update(JSON.stringify({ spec: k8s.toJson_JobSpec(spec), applies: props.specJson }))
    .digest('hex')
    .slice(0, 10);
  return { name: `stolon-update-${checksum}`, labels, spec };
}

/** Renders the update Job in `owner`. */
export function renderUpdateJob(owner: PlatformComponent, props: UpdateJobProps): string {
  const { name, labels, spec } = updateJobManifest(owner.componentName, props);
  new k8s.KubeJob(owner, 'update', {
    metadata: {
      name,
      namespace: props.namespace,
      labels,
      // After the keepers and sentinels of the same sync.
      annotations: { [ARGO_ANNOTATIONS.wave]: '1' },
    },
    spec,
  });
  return name;
}
