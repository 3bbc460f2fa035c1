import { createHash } from 'node:crypto';
import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { PlatformComponent } from '../component';
import type { ConsumerSpec, StreamSpec } from '../lib/bus';
import type { Endpoint } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import {
  resources,
  restartOnSecretChange,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  secretEnv,
  TMP_MOUNT,
  TMP_VOLUME,
  type RotatingSecret,
} from '../lib/workload';
import { NATS_BOX_IMAGE } from './constants';
import { consumerConfigJson, streamConfigJson } from './streams';

/** Props of the streams job. */
export interface StreamsJobProps {
  /** Namespace of the bus. */
  readonly namespace: string;
  /** Client URL of the bus. */
  readonly url: string;
  /** User the job logs in as. */
  readonly user: string;
  /** Secret holding that user's password (key `password`). */
  readonly passwordSecret: RotatingSecret;
  /** The declared streams, read when the chart is rendered (clients declare after the bus is built). */
  readonly streams: () => readonly { stream: StreamSpec; consumers: readonly ConsumerSpec[] }[];
}

const NAME = 'bus-streams';
const MOUNT = '/etc/bus-streams';

/** The files the job reads: one JSON per stream and consumer, and the script applying them. */
export function streamFiles(streams: readonly { stream: StreamSpec; consumers: readonly ConsumerSpec[] }[]): Record<string, string> {
  const files: Record<string, string> = {};
  const steps: string[] = [];
  for (const { stream, consumers } of streams) {
    const streamFile = `stream-${stream.name}.json`;
    files[streamFile] = `${JSON.stringify(streamConfigJson(stream), null, 2)}\n`;
    steps.push(`apply_stream ${stream.name} ${MOUNT}/${streamFile}`);
    for (const consumer of consumers) {
      const consumerFile = `consumer-${stream.name}-${consumer.durable}.json`;
      files[consumerFile] = `${JSON.stringify(consumerConfigJson(consumer), null, 2)}\n`;
      steps.push(`apply_consumer ${stream.name} ${consumer.durable} ${MOUNT}/${consumerFile}`);
    }
  }
  files['apply.sh'] = [
    '#!/bin/sh',
    '# Creates or updates the declared JetStream streams and consumers; safe to run any number of times.',
    '# A change JetStream cannot apply in place (e.g. retention) makes this job fail, and the Argo CD sync with it.',
    'set -eu',
    'apply_stream() {',
    '  if nats stream info "$1" >/dev/null 2>&1; then nats stream edit "$1" --config "$2" --force',
    '  else nats stream add "$1" --config "$2"; fi',
    '}',
    'apply_consumer() {',
    '  if nats consumer info "$1" "$2" >/dev/null 2>&1; then nats consumer edit "$1" "$2" --config "$3" --force',
    '  else nats consumer add "$1" "$2" --config "$3"; fi',
    '}',
    ...steps,
    '',
  ].join('\n');
  return files;
}

/**
 * A PostSync hook Job that declares the streams and consumers in JetStream (no JetStream CRD or
 * controller is part of the platform). Argo CD recreates it on every sync
 * (BeforeHookCreation), so a changed declaration is applied at the next sync; the ConfigMap's
 * checksum on the pod template shows which declaration a run applied.
 */
export class StreamsJob extends Construct {
  /** The job's pods, for network flows. */
  readonly pods: Endpoint;

  constructor(owner: PlatformComponent, id: string, props: StreamsJobProps) {
    super(owner, id);
    const labels = commonLabels(owner.componentName, 'streams');
    const podLabels = { 'app.kubernetes.io/name': NAME };
    this.pods = owner.endpoint({ namespace: props.namespace, podLabels, ports: [] });
    const files = () => streamFiles(props.streams());
    const configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: NAME, namespace: props.namespace, labels },
      data: Lazy.any({ produce: files }),
    });
    new k8s.KubeJob(this, 'job', {
      metadata: {
        name: NAME,
        namespace: props.namespace,
        labels,
        annotations: {
          'argocd.argoproj.io/hook': 'PostSync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
          // A rotated password: Reloader recreates the Job, which runs again as the new password.
          ...restartOnSecretChange([props.passwordSecret]),
        },
      },
      spec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 600,
        ttlSecondsAfterFinished: 86400,
        template: {
          metadata: {
            labels: { ...labels, ...podLabels },
            annotations: Lazy.any({
              produce: () => ({ 'platform.chataik.fr/streams-sha256': createHash('sha256').update(JSON.stringify(files())).digest('hex') }),
            }),
          },
          spec: {
            restartPolicy: 'OnFailure',
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(1000),
            containers: [
              {
                name: 'apply',
                image: NATS_BOX_IMAGE,
                command: ['sh', `${MOUNT}/apply.sh`],
                env: [
                  { name: 'NATS_URL', value: props.url },
                  { name: 'NATS_USER', value: props.user },
                  secretEnv('NATS_PASSWORD', props.passwordSecret, 'password'),
                  // The nats CLI keeps its contexts under $HOME; the root filesystem is read-only.
                  { name: 'HOME', value: '/tmp' },
                ],
                resources: resources({ cpuMillis: 20, memoryMiB: 32, memoryLimitMiB: 64 }),
                securityContext: restrictedContainerSecurity(),
                volumeMounts: [{ name: 'streams', mountPath: MOUNT, readOnly: true }, TMP_MOUNT],
              },
            ],
            volumes: [{ name: 'streams', configMap: { name: configMap.name } }, TMP_VOLUME],
          },
        },
      },
    });
  }
}
