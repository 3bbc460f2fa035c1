/**
 * The site's public issuer and the Certificates of the public host names, in an Application of
 * their own. Their readiness waits on services outside the site: the ACME CA (account
 * registration, rate limits shared by every site asking for the same name) and the DNS server the
 * DNS-01 challenges are written to, or Vault PKI. Argo CD v3.5.1 reports a ClusterIssuer
 * Progressing until Ready and Degraded when Ready=False, a Certificate Progressing while Issuing
 * (argoproj/argo-cd@v3.5.1:resource_customizations/cert-manager.io/ClusterIssuer/health.lua,
 * .../Certificate/health.lua): in cert-manager's or the ingress's Application they would hold back
 * every later wave. Declared `readinessDependsOnExternal`, the Application syncs in the last wave
 * and nothing depends on it.
 *
 * The root HTTPProxies naming these Secrets stay with the ingress: Contour 1.33.6 marks a root
 * whose TLS Secret is missing invalid and skips its includes
 * (projectcontour/contour@v1.33.6:internal/dag/httpproxy_processor.go, SecretNotValid), but Argo
 * CD's HTTPProxy health check reports a proxy with `includes` Healthy whatever its status
 * (.../projectcontour.io/HTTPProxy/health.lua); the included children are then orphaned and
 * Degraded, which the sync-order check requires to be in steps nothing waits for.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  ClusterIssuer,
  type ClusterIssuerSpec,
} from '../../imports/cert-manager-cert-manager.io';
import { COMPONENT } from '../../model/components';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import { commonLabels } from '../lib/labels';
import { unaffected } from '../lib/resilience';
import { allowVaultLogin } from '../lib/vault-login';
import { VaultSecret, type SecretsComponent } from '../secrets/secrets';
import { CERT_MANAGER_NAMESPACE, type CertManagerComponent } from './cert-manager';

/** The site's public ClusterIssuer; the same name on every site, so Certificates render identically. */
export const PUBLIC_ISSUER = 'platform';
const VAULT_SERVICE_ACCOUNT = 'cert-manager-vault-issuer';
const HEALTH_CHECKS = 'argoproj/argo-cd@v3.5.1:resource_customizations/cert-manager.io/{ClusterIssuer,Certificate}/health.lua';

/** A publicly trusted certificate for one host name. */
export interface PublicCertificateRequest {
  /** Name of the Certificate. */
  readonly name: string;
  /** Namespace of the Certificate and its Secret (where the root HTTPProxy reads it). */
  readonly namespace: string;
  /** The host name. */
  readonly host: string;
  /** Name of the Secret cert-manager writes. */
  readonly secretName: string;
}

/** Props of the public certificates component. */
export interface PublicCertificatesProps {
  /** External Secrets: the TSIG key (ACME) comes from Vault. */
  readonly secrets: SecretsComponent;
  /** cert-manager: its CRDs and webhook. */
  readonly certManager: CertManagerComponent;
}

/**
 * The public ClusterIssuer (a site fact, `certificates`: ACME with DNS-01 over RFC 2136, or Vault
 * PKI) and the Certificates the ingress's root proxies use (`certificate`, called by the routes
 * view). Private keys are generated in the cluster; git holds none.
 */
export class PublicCertificatesComponent extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext, props: PublicCertificatesProps) {
    super(scope, { name: COMPONENT.publicCertificates, context, namespace: CERT_MANAGER_NAMESPACE });
    this.dependOn(props.certManager);
    this.declareFailureBehaviour({
      serves: 'the public ClusterIssuer and Certificates (objects only; cert-manager issues them)',
      nodeLoss: unaffected('objects in the API, no pods'),
    });
    const issuer = this.site.certificates;
    this.syncOrder.readinessDependsOnExternal({
      service:
        issuer.kind === 'acme-rfc2136'
          ? `the ACME CA ${issuer.server} and the DNS server ${issuer.nameserver} (RFC 2136)`
          : `Vault PKI at ${this.site.vault.address}`,
      reason: `the ClusterIssuer is Ready only once the CA accepts it, a Certificate only once it is issued (${HEALTH_CHECKS})`,
    });
    new ClusterIssuer(this, 'issuer', {
      metadata: { name: PUBLIC_ISSUER, labels: commonLabels(this.componentName) },
      spec: this.issuerSpec(props.secrets),
    });
  }

  /** Renders a Certificate of the public issuer (the routes view calls it for each TLS host). */
  certificate(request: PublicCertificateRequest): void {
    new Certificate(this, `certificate-${request.name}`, {
      metadata: { name: request.name, namespace: request.namespace, labels: commonLabels(this.componentName) },
      spec: {
        secretName: request.secretName,
        dnsNames: [request.host],
        issuerRef: { kind: 'ClusterIssuer', name: PUBLIC_ISSUER, group: 'cert-manager.io' },
        privateKey: {
          algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA,
          size: 256,
          rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
        },
      },
    });
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
