import { Construct } from 'constructs';
import {
  ClusterSecretStore,
  ClusterSecretStoreSpecProviderVaultVersion,
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetTemplateEngineVersion,
  ExternalSecretSpecTargetTemplateMergePolicy,
} from '../../imports/external-secrets-external-secrets.io';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import { commonLabels } from '../lib/labels';
import type { RotatingSecret } from '../lib/workload';
import { allowVaultLogin } from '../lib/vault-login';
import { ARGO_ANNOTATIONS, type WebhookDeclaration } from '../lib/sync-order';
import { mergeValues, releasedWorkloads } from '../lib/released-workloads';
import { EXTERNAL_SECRETS } from './release';
import { CONTROLLER_METRICS, EXTERNAL_SECRETS_ALERTS } from './alerts';
import { COMPONENT } from '../../model/components';
import { singleReplicaNodeLoss } from '../lib/resilience';

const NAMESPACE = 'external-secrets';
const CHART_SOURCE = `${EXTERNAL_SECRETS.chart.source.repo}@${EXTERNAL_SECRETS.chart.source.ref}`;
/** The chart's webhooks refuse the objects they validate while they cannot answer (the chart's default, stated). */
const WEBHOOK_FAILURE_POLICY = 'Fail';
/**
 * On every CRD of the chart (`crds.annotations`, CHART_SOURCE:hack/helm.generate.sh): Argo CD then
 * never deletes them with the Application (it reads it as `Delete=false`), since deleting the
 * ExternalSecret CRD would delete every ExternalSecret and, through their owner references, every
 * Secret the platform runs on.
 */
const KEEP_CRDS = { 'helm.sh/resource-policy': 'keep' } as const;

/**
 * External Secrets Operator and the site's ClusterSecretStore for Vault (Kubernetes auth, KV v2):
 * every secret the platform uses is read from Vault at run time; git holds only where to find it.
 */
export class SecretsComponent extends PlatformComponent {
  /** Name of the ClusterSecretStore every ExternalSecret refers to. */
  readonly storeName = 'vault';

  constructor(scope: Construct, context: SiteContext) {
    super(scope, {
      name: COMPONENT.externalSecrets,
      context,
      namespace: NAMESPACE,
      installsCrds: [
        ...['external-secrets.io', 'generators.external-secrets.io'].map((group) => ({
          group,
          source: 'chart' as const,
          keptOnDelete: true,
          reference: `${CHART_SOURCE}:hack/helm.generate.sh`,
        })),
      ],
    });
    this.declareFailureBehaviour({
      serves: 'External Secrets: copies secrets from Vault',
      nodeLoss: singleReplicaNodeLoss('the controller', 'existing Secrets stay, none is refreshed'),
    });
    const webhook: Omit<WebhookDeclaration, 'name' | 'kinds'> = {
      failurePolicy: WEBHOOK_FAILURE_POLICY,
      group: 'external-secrets.io',
      // The webhook's readiness checks its certificate, which the cert-controller writes and
      // injects into the webhook configuration (CHART_SOURCE:cmd/controller/webhook.go, certcontroller.go).
      servedBy: ['external-secrets-webhook', 'external-secrets-cert-controller'],
      reference: `${CHART_SOURCE}:deploy/charts/external-secrets/templates/validatingwebhook.yaml`,
    };
    this.syncOrder.servesWebhook({ ...webhook, name: 'secretstore-validate', kinds: ['SecretStore', 'ClusterSecretStore'] });
    this.syncOrder.servesWebhook({ ...webhook, name: 'externalsecret-validate', kinds: ['ExternalSecret'] });
    this.ownNamespace({
      name: NAMESPACE,
      podSecurity: 'restricted',
      upstreamChart: true,
      networkPolicyReason:
        'the operator reaches Vault and the API server, and the API server calls its webhook from the control-plane hosts',
    });
    this.useHelmChart({
      upstream: EXTERNAL_SECRETS,
      releaseName: 'external-secrets',
      values: mergeValues(
        { installCRDs: true, crds: { annotations: KEEP_CRDS }, webhook: { failurePolicy: WEBHOOK_FAILURE_POLICY } },
        releasedWorkloads(this, EXTERNAL_SECRETS),
      ),
    });

    const { port, podLabels, metrics } = CONTROLLER_METRICS;
    this.exposeMetrics({ pods: this.endpoint({ podLabels, ports: [{ port, name: 'metrics' }] }), port, metrics });
    for (const alert of EXTERNAL_SECRETS_ALERTS) this.declareAlert(alert);

    const { vault } = this.site;
    this.syncOrder.readinessDependsOnExternal({
      service: `Vault at ${vault.address}`,
      reason:
        "the ClusterSecretStore is Ready only once Vault accepts the site's Kubernetes login (argoproj/argo-cd@v3.5.1:resource_customizations/external-secrets.io/ClusterSecretStore/health.lua: Progressing, then Degraded on Ready=False)",
      unavoidable: 'every Secret of the platform is read from Vault: no component with a credential can start without it',
    });
    const serviceAccount = { name: 'external-secrets', namespace: NAMESPACE };
    allowVaultLogin(this, serviceAccount, commonLabels(this.componentName));
    new ClusterSecretStore(this, 'vault', {
      metadata: {
        name: this.storeName,
        labels: commonLabels(this.componentName),
        // After the chart's wave: its webhook validates ClusterSecretStores and refuses them until it answers.
        annotations: { [ARGO_ANNOTATIONS.wave]: '1' },
      },
      spec: {
        provider: {
          vault: {
            server: vault.address,
            path: vault.kvMount,
            version: ClusterSecretStoreSpecProviderVaultVersion.V2,
            auth: {
              kubernetes: {
                mountPath: vault.authMount,
                role: vault.authRole,
                serviceAccountRef: serviceAccount,
              },
            },
          },
        },
      },
    });
  }
}

/** One key of a Kubernetes Secret and where its value lives in Vault. */
export interface VaultKey {
  /** Path under the KV mount, e.g. `postgres/replication`. */
  readonly path: string;
  /** Property of the Vault secret holding the value. */
  readonly property: string;
}

/** Props of a VaultSecret. */
export interface VaultSecretProps {
  /** The site's secrets component (typed reference; the owner then syncs after it). */
  readonly store: SecretsComponent;
  /** Name of the Kubernetes Secret to create. */
  readonly name: string;
  /** Namespace of that Secret. */
  readonly namespace: string;
  /** Secret keys and their Vault source. */
  readonly data: Readonly<Record<string, VaultKey>>;
  /**
   * How often External Secrets re-reads Vault (rotation reaches pods this fast).
   * @default '1h'
   */
  readonly refreshInterval?: string;
  /**
   * Non-secret keys written next to the Vault ones (e.g. a user name), from the model.
   * @default none
   */
  readonly literals?: Readonly<Record<string, string>>;
  /**
   * Labels of the Kubernetes Secret (a reader may select Secrets by label: Argo CD does).
   * @default none
   */
  readonly secretLabels?: Readonly<Record<string, string>>;
}

/**
 * A Kubernetes Secret filled from Vault by External Secrets: only the Vault path is in git. The
 * workloads reading it name it in `restartOnSecretChange` (lib/workload.ts), so that a rotation
 * restarts them (Reloader).
 */
export class VaultSecret extends Construct implements RotatingSecret {
  /** Name of the Kubernetes Secret pods mount. */
  readonly secretName: string;
  readonly rotatedIn = 'vault';

  constructor(owner: PlatformComponent, id: string, props: VaultSecretProps) {
    super(owner, id);
    owner.dependOn(props.store);
    this.secretName = props.name;
    new ExternalSecret(this, 'external-secret', {
      metadata: { name: props.name, namespace: props.namespace, labels: commonLabels(owner.componentName) },
      spec: {
        refreshInterval: props.refreshInterval ?? '1h',
        secretStoreRef: { kind: ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE, name: props.store.storeName },
        target: {
          name: props.name,
          creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER,
          ...(props.literals || props.secretLabels
            ? {
                template: {
                  engineVersion: ExternalSecretSpecTargetTemplateEngineVersion.V2,
                  mergePolicy: ExternalSecretSpecTargetTemplateMergePolicy.MERGE,
                  ...(props.secretLabels ? { metadata: { labels: { ...props.secretLabels } } } : {}),
                  ...(props.literals
                    ? {
                        data: Object.fromEntries(
                          Object.keys(props.literals)
                            .sort()
                            .map((k) => [k, props.literals![k]!]),
                        ),
                      }
                    : {}),
                },
              }
            : {}),
        },
        data: Object.keys(props.data)
          .sort()
          .map((secretKey) => ({ secretKey, remoteRef: { key: props.data[secretKey]!.path, property: props.data[secretKey]!.property } })),
      },
    });
  }
}
