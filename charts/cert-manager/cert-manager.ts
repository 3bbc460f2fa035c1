import type { Construct } from 'constructs';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import { mergeValues, releasedWorkloads } from '../lib/released-workloads';
import { chartFile } from '../lib/upstream';
import { CERT_MANAGER } from './release';
import type { SecretsComponent } from '../secrets/secrets';
import { renderInternalCa, type InternalCa } from './internal-ca';
import { COMPONENT } from '../../model/components';
import { singleReplicaNodeLoss } from '../lib/resilience';

export const CERT_MANAGER_NAMESPACE = 'cert-manager';
/** The chart's CRDs stay when the Application is deleted: deleting them would delete every Certificate. */
const KEEP_CRDS = true;

/**
 * cert-manager and the platform's internal CA issuer (internal-ca.ts). The public issuer and
 * Certificates wait on services outside the site and have an Application of their own, synced
 * last (public-certificates.ts).
 */
export class CertManagerComponent extends PlatformComponent {
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

    this.internalCa = renderInternalCa(this, props.secrets, CERT_MANAGER_NAMESPACE);
  }
}
