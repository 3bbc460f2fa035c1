import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { ClusterIssuer, type ClusterIssuerSpec } from '../../imports/cert-manager-cert-manager.io';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import { commonLabels } from '../lib/labels';
import { ARGO_ANNOTATIONS } from '../lib/sync-order';
import { mergeValues, releasedWorkloads } from '../lib/released-workloads';
import { chartFile } from '../lib/upstream';
import { CERT_MANAGER } from './release';
import { VaultSecret, type SecretsComponent } from '../secrets/secrets';
import { renderInternalCa, type InternalCa } from './internal-ca';
import { COMPONENT } from '../../model/components';
import { singleReplicaNodeLoss } from '../lib/resilience';
import { allowVaultLogin } from '../lib/vault-login';

export const CERT_MANAGER_NAMESPACE = 'cert-manager';
/** The site's ClusterIssuer; the same name on every site, so Certificates render identically. */
export const CLUSTER_ISSUER = 'platform';
const VAULT_SERVICE_ACCOUNT = 'cert-manager-vault-issuer';
/** The chart's CRDs stay when the Application is deleted: deleting them would delete every Certificate. */
const KEEP_CRDS = true;

/**
 * cert-manager and the site's ClusterIssuer. The issuer kind is a site fact (`certificates`):
 * ACME with DNS-01 over RFC 2136 (publicly trusted names; the TSIG secret comes from Vault) or
 * Vault PKI. Private keys are generated in the cluster; git holds none.
 */
export class CertManagerComponent extends PlatformComponent {
  /** Name of the ClusterIssuer Certificates refer to. */
  readonly issuerName = CLUSTER_ISSUER;
  /** The platform CA every site trusts, for TLS between the platform's servers (internal-ca.ts). */
  readonly internalCa: InternalCa;

  constructor(scope: Construct, context: SiteContext, props: { secrets: SecretsComponent }) {
    super(scope, {
      name: COMPONENT.certManager,
      context,
      namespace: CERT_MANAGER_NAMESPACE,
      installsCrds: [
        // `crds.keep` (below) puts helm.sh/resource-policy: keep on them: Argo CD never deletes them.
        ...['cert-manager.io', 'acme.cert-manager.io'].map((group) => ({
          group,
          source: 'chart' as const,
          keptOnDelete: KEEP_CRDS,
          reference: chartFile(CERT_MANAGER, 'templates/crd-cert-manager.io_certificates.yaml'),
        })),
      ],
    });
    this.declareFailureBehaviour({
      serves: 'cert-manager: issues and renews certificates',
      nodeLoss: singleReplicaNodeLoss('the controller', 'issued certificates keep being served, none is renewed'),
    });
    for (const group of ['cert-manager.io', 'acme.cert-manager.io']) {
      this.syncOrder.servesWebhook({
        name: 'cert-manager-webhook',
        failurePolicy: 'Fail',
        group,
        // The cainjector writes the webhook's CA into the webhook configuration.
        servedBy: ['cert-manager-webhook', 'cert-manager-cainjector'],
        reference: chartFile(CERT_MANAGER, 'templates/webhook-validating-webhook.yaml'),
      });
    }
    this.ownNamespace({
      name: CERT_MANAGER_NAMESPACE,
      podSecurity: 'restricted',
      upstreamChart: true,
      networkPolicyReason:
        'the controller reaches the ACME CA, the DNS server and the API server, and the API server calls the webhook from the control-plane hosts',
    });
    this.useHelmChart({
      upstream: CERT_MANAGER,
      releaseName: 'cert-manager',
      values: mergeValues(
        {
          crds: { enabled: true, keep: KEEP_CRDS },
          global: { leaderElection: { namespace: CERT_MANAGER_NAMESPACE } },
        },
        releasedWorkloads(this, CERT_MANAGER),
      ),
    });

    new ClusterIssuer(this, 'issuer', {
      metadata: {
        name: CLUSTER_ISSUER,
        labels: commonLabels(this.componentName),
        // After the chart's webhook is up: it validates the issuer.
        annotations: { [ARGO_ANNOTATIONS.wave]: '1' },
      },
      spec: this.issuerSpec(props.secrets),
    });
    this.internalCa = renderInternalCa(this, props.secrets, CERT_MANAGER_NAMESPACE);
  }

  private issuerSpec(secrets: SecretsComponent): ClusterIssuerSpec {
    const issuer = this.site.certificates;
    if (issuer.kind === 'acme-rfc2136') {
      // A ClusterIssuer reads its secrets from cert-manager's own namespace.
      const tsig = new VaultSecret(this, 'tsig', {
        store: secrets,
        name: 'cert-manager-tsig',
        namespace: CERT_MANAGER_NAMESPACE,
        data: { secret: { path: `certificates/${this.site.name}/tsig`, property: 'secret' } },
      });
      return {
        acme: {
          server: issuer.server,
          email: issuer.email,
          privateKeySecretRef: { name: 'cert-manager-acme-account' },
          solvers: [
            {
              dns01: {
                rfc2136: {
                  nameserver: issuer.nameserver,
                  tsigKeyName: issuer.tsigKeyName,
                  tsigAlgorithm: issuer.tsigAlgorithm,
                  tsigSecretSecretRef: { name: tsig.secretName, key: 'secret' },
                },
              },
            },
          ],
        },
      };
    }
    // Vault PKI: cert-manager requests short-lived tokens for a dedicated service account and logs
    // in with the site's Kubernetes auth mount; no Vault token is stored anywhere.
    const labels = commonLabels(this.componentName);
    new k8s.KubeServiceAccount(this, 'vault-sa', { metadata: { name: VAULT_SERVICE_ACCOUNT, namespace: CERT_MANAGER_NAMESPACE, labels } });
    new k8s.KubeRole(this, 'vault-token-role', {
      metadata: { name: VAULT_SERVICE_ACCOUNT, namespace: CERT_MANAGER_NAMESPACE, labels },
      rules: [{ apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [VAULT_SERVICE_ACCOUNT], verbs: ['create'] }],
    });
    new k8s.KubeRoleBinding(this, 'vault-token-binding', {
      metadata: { name: VAULT_SERVICE_ACCOUNT, namespace: CERT_MANAGER_NAMESPACE, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: VAULT_SERVICE_ACCOUNT },
      subjects: [{ kind: 'ServiceAccount', name: 'cert-manager', namespace: CERT_MANAGER_NAMESPACE }],
    });
    allowVaultLogin(this, { name: VAULT_SERVICE_ACCOUNT, namespace: CERT_MANAGER_NAMESPACE }, labels);
    return {
      vault: {
        server: this.site.vault.address,
        path: issuer.path,
        auth: {
          kubernetes: {
            mountPath: `/v1/auth/${this.site.vault.authMount}`,
            role: issuer.role,
            serviceAccountRef: { name: VAULT_SERVICE_ACCOUNT },
          },
        },
      },
    };
  }
}
