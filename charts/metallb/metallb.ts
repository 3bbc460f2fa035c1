import type { Construct } from 'constructs';
import { IpAddressPool, L2Advertisement } from '../../imports/metallb-metallb.io';
import type { LoadBalancerPool } from '../../sites';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import { commonLabels } from '../lib/labels';
import { ARGO_ANNOTATIONS } from '../lib/sync-order';
import { mergeValues, releasedWorkloads } from '../lib/released-workloads';
import { chartFile } from '../lib/upstream';
import { METALLB } from './release';
import { COMPONENT } from '../../model/components';

export const METALLB_NAMESPACE = 'metallb-system';
/** The chart's webhooks refuse what they validate while the controller cannot answer (the chart's default, stated). */
const WEBHOOK_FAILURE_POLICY = 'Fail';
/** The pool holding the site's floating addresses; the same name on every site. */
export const FLOATING_POOL = 'floating';

/** A role of `loadBalancer.fixed` in the site model: which service owns the address. */
export type FixedAddressRole = keyof LoadBalancerPool['fixed'];

/** What a LoadBalancer Service needs to get the site's fixed address of one role. */
export interface FixedLoadBalancer {
  /** The address MetalLB gives the Service (from `loadBalancer.fixed.<role>`). */
  readonly address: string;
  /** Service annotations: the pinned address and the pool it comes from. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Service type. */
  readonly type: 'LoadBalancer';
  /**
   * `Local`: only nodes with a ready pod announce the address and the client's source address is
   * kept (so NetworkPolicies and pg_hba can match the peer site's addresses).
   */
  readonly externalTrafficPolicy: 'Local';
}

/**
 * MetalLB in layer-2 mode (seed 000: one floating address per site, moved to another node when
 * its node fails). The pool does not auto-assign: every address in it belongs to a role of
 * `loadBalancer.fixed`, so no Service can take another's address by accident.
 */
export class MetalLbComponent extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext) {
    super(scope, {
      name: COMPONENT.metallb,
      context,
      namespace: METALLB_NAMESPACE,
      installsCrds: [
        {
          group: 'metallb.io',
          source: 'chart',
          keptOnDelete: false,
          reference: chartFile(METALLB, 'charts/crds/templates/crds.yaml'),
        },
      ],
    });
    this.declareFailureBehaviour({
      serves: "MetalLB: announces the site's floating addresses",
      nodeLoss: {
        state: 'up',
        reason: "a speaker runs on every node: an address the lost node announced moves to another node's speaker",
      },
    });
    this.syncOrder.servesWebhook({
      name: 'metallb-webhook-configuration',
      failurePolicy: WEBHOOK_FAILURE_POLICY,
      group: 'metallb.io',
      kinds: ['BGPPeer', 'IPAddressPool', 'BGPAdvertisement', 'Community', 'BFDProfile', 'L2Advertisement'],
      servedBy: ['metallb-controller'],
      reference: chartFile(METALLB, 'templates/webhooks.yaml'),
    });
    this.ownNamespace({
      name: METALLB_NAMESPACE,
      podSecurity: 'privileged',
      podSecurityReason: 'the MetalLB speaker runs on the host network with NET_RAW to answer ARP/NDP for the floating addresses',
      upstreamChart: true,
      networkPolicyReason:
        'the speaker uses the host network (NetworkPolicies do not apply to it) and the controller serves an admission webhook to the API server',
    });
    this.useHelmChart({
      upstream: METALLB,
      releaseName: 'metallb',
      values: mergeValues(
        {
          crds: { enabled: true, validationFailurePolicy: WEBHOOK_FAILURE_POLICY },
          // Pure layer 2: no BGP, so neither FRR in the speaker nor the FRR-K8s daemon.
          frrk8s: { enabled: false },
          speaker: { frr: { enabled: false } },
        },
        releasedWorkloads(this, METALLB),
      ),
    });

    const pool = this.site.loadBalancer;
    // Applied after the chart's controller is healthy: its webhook validates these objects.
    const afterChart = { [ARGO_ANNOTATIONS.wave]: '1' };
    new IpAddressPool(this, 'pool', {
      metadata: { name: FLOATING_POOL, namespace: METALLB_NAMESPACE, labels: commonLabels(this.componentName), annotations: afterChart },
      spec: { addresses: [...pool.ipv4, ...(pool.ipv6 ?? [])], autoAssign: false, avoidBuggyIPs: false },
    });
    new L2Advertisement(this, 'l2', {
      metadata: { name: FLOATING_POOL, namespace: METALLB_NAMESPACE, labels: commonLabels(this.componentName), annotations: afterChart },
      spec: { ipAddressPools: [FLOATING_POOL] },
    });
  }

  /**
   * The Service settings that pin `owner`'s LoadBalancer Service to the site's fixed address of
   * `role` (e.g. `database` for the stolon proxy, `bus` for the NATS gateway). `owner` then syncs
   * after MetalLB.
   */
  fixedLoadBalancer(owner: PlatformComponent, role: FixedAddressRole): FixedLoadBalancer {
    owner.dependOn(this);
    return fixedLoadBalancer(this.site.loadBalancer, role);
  }
}

/** The pure part of `MetalLbComponent.fixedLoadBalancer`, for a site's pool. */
export function fixedLoadBalancer(pool: LoadBalancerPool, role: FixedAddressRole): FixedLoadBalancer {
  const address = pool.fixed[role];
  return {
    address,
    annotations: { 'metallb.io/loadBalancerIPs': address, 'metallb.io/address-pool': FLOATING_POOL },
    type: 'LoadBalancer',
    externalTrafficPolicy: 'Local',
  };
}
