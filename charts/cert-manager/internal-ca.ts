/**
 * The platform's private CA, for TLS between the platform's own servers (database replication,
 * the bus link between sites). Public names use the site issuer (ACME or Vault PKI); these
 * certificates name fixed load-balancer addresses and in-cluster Service names, and each site
 * must trust the other's: so one CA for every site. Its key lives in Vault (one path, read by
 * every site), External Secrets copies it into cert-manager's namespace and a CA ClusterIssuer
 * signs with it. Git holds no key; pods get the CA certificate as `ca.crt` in their own Secret.
 */
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  CertificateSpecUsages,
  ClusterIssuer,
} from '../../imports/cert-manager-cert-manager.io';
import type { PlatformComponent } from '../component';
import { commonLabels } from '../lib/labels';
import { ARGO_ANNOTATIONS } from '../lib/sync-order';
import { VaultSecret, type SecretsComponent, type VaultKey } from '../secrets/secrets';

/** The ClusterIssuer signing with the platform CA (the same name on every site). */
export const INTERNAL_ISSUER = 'platform-internal';
/** Where the CA certificate and key are in Vault (each site's KV mount, the same path and value). */
export const INTERNAL_CA_VAULT: { readonly certificate: VaultKey; readonly key: VaultKey } = {
  certificate: { path: 'certificates/internal-ca', property: 'tls.crt' },
  key: { path: 'certificates/internal-ca', property: 'tls.key' },
};
const CA_SECRET = 'platform-internal-ca';
/** Lifetime and renewal of the certificates (servers reload renewed files, see lib/tls-reload.ts). */
const DURATION = '2160h';
const RENEW_BEFORE = '720h';

/** Files of an issued certificate's Secret (cert-manager's CA issuer fills `ca.crt`). */
export const TLS_FILES = { certificate: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/** A certificate a component asks the platform CA for. */
export interface InternalCertificateRequest {
  /** Name of the Certificate and of its Secret. */
  readonly name: string;
  /** Namespace of both (the pods mounting the Secret). */
  readonly namespace: string;
  /** Common name (the identity a client certificate presents). */
  readonly commonName: string;
  /**
   * DNS names the server is reached by.
   * @default none
   */
  readonly dnsNames?: readonly string[];
  /**
   * IP addresses the server is reached by (a fixed load-balancer address).
   * @default none
   */
  readonly ipAddresses?: readonly string[];
  /** What the certificate is for. */
  readonly usages: readonly ('server' | 'client')[];
}

/** The issuer a component holds to get certificates from the platform CA. */
export interface InternalCa {
  /** Renders a Certificate in `owner` (which then syncs after cert-manager); returns the Secret name. */
  certificate(owner: PlatformComponent, request: InternalCertificateRequest): string;
}

/** Renders the CA Secret (from Vault) and the ClusterIssuer in cert-manager's component. */
export function renderInternalCa(certManager: PlatformComponent, secrets: SecretsComponent, namespace: string): InternalCa {
  const ca = new VaultSecret(certManager, 'internal-ca', {
    store: secrets,
    name: CA_SECRET,
    namespace,
    data: { [TLS_FILES.certificate]: INTERNAL_CA_VAULT.certificate, [TLS_FILES.key]: INTERNAL_CA_VAULT.key },
  });
  new ClusterIssuer(certManager, 'internal-issuer', {
    metadata: {
      name: INTERNAL_ISSUER,
      labels: commonLabels(certManager.componentName),
      annotations: { [ARGO_ANNOTATIONS.wave]: '1' },
    },
    spec: { ca: { secretName: ca.secretName } },
  });
  // Every site signs with the same CA: the cross-site check compares where each reads it.
  certManager.stateCrossSiteFact({
    key: 'internal-ca',
    role: 'issuer',
    agree: { certificate: `${INTERNAL_CA_VAULT.certificate.path}#${INTERNAL_CA_VAULT.certificate.property}`, issuer: INTERNAL_ISSUER },
  });
  return {
    certificate(owner, request) {
      owner.dependOn(certManager);
      const usages = request.usages.map((u) => (u === 'server' ? CertificateSpecUsages.SERVER_AUTH : CertificateSpecUsages.CLIENT_AUTH));
      new Certificate(owner, `certificate-${request.name}`, {
        metadata: { name: request.name, namespace: request.namespace, labels: commonLabels(owner.componentName) },
        spec: {
          secretName: request.name,
          commonName: request.commonName,
          ...(request.dnsNames?.length ? { dnsNames: [...request.dnsNames] } : {}),
          ...(request.ipAddresses?.length ? { ipAddresses: [...request.ipAddresses] } : {}),
          duration: DURATION,
          renewBefore: RENEW_BEFORE,
          usages: [CertificateSpecUsages.DIGITAL_SIGNATURE, ...usages],
          issuerRef: { kind: 'ClusterIssuer', name: INTERNAL_ISSUER, group: 'cert-manager.io' },
          privateKey: {
            algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA,
            size: 256,
            rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
          },
        },
      });
      return request.name;
    },
  };
}
