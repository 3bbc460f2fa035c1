/**
 * The cross-site replication of one site's stolon cluster, as the site's role gives it: the
 * primary exposes its proxies on the site's fixed database address (`stolon-primary`) and admits
 * the standby sites' nodes; a standby's keepers reach only that address. Each end states what it
 * renders for the cross-site check: the address, port and user of the primary, and each slot.
 */
import { k8s } from 'cdk8s-plus-28';
import type { PlatformComponent } from '../component';
import type { Endpoint } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import type { MetalLbComponent } from '../metallb/metallb';
import { podLabels, postgresServicePort } from './pods';
import { POSTGRES_NAMESPACE, STOLON_OBJECTS } from './names';
import { PG_PORT, REPL_USERNAME, primarySite, runsPostgres, type StolonClusterSpec } from './spec';

/** What the replication is rendered from. */
export interface ReplicationProps {
  /** The spec this site's cluster runs (`master` on the primary site, `standby` elsewhere). */
  readonly spec: StolonClusterSpec;
  /** The keepers: a standby's replicate from the primary. */
  readonly keepers: Endpoint;
  /** The proxies: the primary's are what the standbys reach. */
  readonly proxies: Endpoint;
  /** MetalLB: the primary's Service takes the site's fixed `database` address. */
  readonly metallb: MetalLbComponent;
}

/** One end of the cross-site replication: where the primary is, as this site renders it. */
function stateDatabaseFact(
  scope: PlatformComponent,
  role: 'primary' | 'standby',
  address: string,
  port: number,
  user = REPL_USERNAME,
): void {
  scope.stateCrossSiteFact({
    key: 'database',
    role,
    agree: { primaryAddress: address, port, replicationUser: user },
    expect: { primary: 1 },
  });
}

/** Renders this site's end of the replication (see the file comment). */
export function renderReplication(scope: PlatformComponent, props: ReplicationProps): void {
  const { spec } = props;
  if (spec.role === 'master') {
    const endpoint = props.metallb.fixedLoadBalancer(scope, 'database');
    stateDatabaseFact(scope, 'primary', endpoint.address, PG_PORT);
    new k8s.KubeService(scope, 'primary-svc', {
      metadata: {
        name: STOLON_OBJECTS.primary,
        namespace: POSTGRES_NAMESPACE,
        labels: commonLabels(scope.componentName),
        annotations: endpoint.annotations,
      },
      spec: {
        type: endpoint.type,
        // Keeps the client's source address, which the NetworkPolicy's ipBlock checks.
        externalTrafficPolicy: endpoint.externalTrafficPolicy,
        selector: podLabels('proxy'),
        ports: [postgresServicePort()],
      },
    });
    // The slots the primary keeps for the standbys, each to be used by exactly one.
    for (const slot of spec.additionalMasterReplicationSlots) {
      scope.stateCrossSiteFact({ key: `database-slot:stolon_${slot}`, role: 'declared', agree: {}, expect: { declared: 1, used: 1 } });
    }
    // Pods of the other sites leave their cluster through their node's address (SNAT); the
    // exposed Service keeps that source (externalTrafficPolicy Local), so the policy sees it.
    const others = scope.sites.filter((s) => s !== scope.site && runsPostgres(s));
    scope.talksOutside({
      pods: props.proxies,
      direction: 'ingress',
      cidrs: others.flatMap((s) => s.nodes.map((n) => `${n.address}/32`)).sort(),
      ports: [{ port: PG_PORT }],
      reason: `standby sites (${others.map((s) => s.name).join(', ')}) replicate from the primary through ${STOLON_OBJECTS.primary}`,
    });
    return;
  }
  // What the standby dials and on which slot, read from the rendered connection string, not recomputed.
  const settings = spec.standbyConfig?.standbySettings;
  if (settings) {
    const conn = Object.fromEntries(settings.primaryConnInfo.split(/\s+/).map((kv) => kv.split('=') as [string, string]));
    stateDatabaseFact(scope, 'standby', conn.host ?? '', Number(conn.port), conn.user ?? '');
    scope.stateCrossSiteFact({
      key: `database-slot:${settings.primarySlotName}`,
      role: 'used',
      agree: {},
      expect: { declared: 1, used: 1 },
    });
  }
  const primary = primarySite(scope.sites);
  scope.talksOutside({
    pods: props.keepers,
    direction: 'egress',
    cidrs: [`${primary.loadBalancer.fixed.database}/32`],
    ports: [{ port: PG_PORT }],
    reason: `the standby keepers replicate from the primary site ${primary.name}`,
  });
}
