/**
 * What a node loss does to the bus, stated for the failure-impact view (lib/resilience.ts).
 * JetStream's meta group and every R3 stream need 2 of the 3 servers; raft elects a new leader
 * after 4 to 9 s without heartbeats (server/raft.go, min/maxElectionTimeoutDefault, 2.9 and 2.14),
 * and a PubAck is sent once a majority stored the message, so an acknowledged message survives.
 */
import type { StorageClassChoice } from '../storage/mayastor';
import { unaffected, type FailureBehaviour, type StatefulWorkloadResilience } from '../lib/resilience';
import { NAMESPACE, REPLICAS, STATEFULSET, VOLUME_GIB } from './constants';
import type { BusLink } from './link';
import { COMPONENT } from '../../model/components';

/**
 * How long streams led by the lost server usually take to publish again: raft's longest election
 * timeout (server/raft.go, maxElectionTimeoutDefault); each split vote adds another 4 to 9 s.
 * test/bus-node-loss-live.test.ts saw the first PubAck 5 to 9 s after a SIGKILL (the publisher
 * retrying every 2 s), and asserts no duration.
 */
const ELECTION_SECONDS = 9;

/** The servers' statement; `copies.count` is the servers' (3) until streams are declared, then their fewest replicas. */
export function busResilience(props: { storage: StorageClassChoice; links: readonly BusLink[]; site: string }): StatefulWorkloadResilience {
  const others = props.links.map((l) => (l.hubSite === props.site ? l.leafSite : l.hubSite));
  return {
    workload: `StatefulSet/${NAMESPACE}/${STATEFULSET}`,
    members: REPLICAS,
    quorum: Math.floor(REPLICAS / 2) + 1,
    onePerNode: true,
    copies: {
      count: REPLICAS,
      placement: props.storage.placement,
      storageClass: props.storage.name,
      volumeReplicas: props.storage.replicas,
      volumeGiB: VOLUME_GIB,
    },
    memberLoss: {
      service: 'fails-over',
      recoverySeconds: ELECTION_SECONDS,
      writesAtRisk: 'none',
      lostMember: props.storage.placement === 'member-node-local' ? 'waits-for-its-node' : 'rescheduled',
      description:
        'The two other servers keep the meta group and every R3 stream; streams the lost server led elect a new leader, ' +
        `usually within ${ELECTION_SECONDS} s, 4 to 9 s more for each split vote (publishers retry meanwhile). The lost server waits for its node, where its copy is, and catches up ` +
        'when it returns; if the node is gone for good, docs/runbooks/replace-lost-node.md gives it a new volume on another node.',
    },
    dependencies: [
      ...others.map((site) => ({
        on: `site:${site}`,
        needs: 'the leafnode link, for the subjects declared cross-site only',
        whenLost:
          "this site's streams, consumers and work go on unchanged; messages on cross-site subjects published meanwhile do not reach the other site (core NATS keeps nothing for it)",
      })),
      {
        on: COMPONENT.mayastor,
        needs: 'a node-local volume for a member that starts on a new node (LocalPV provisioner of the chart)',
        whenLost: 'running servers are unaffected; a replaced server waits for its volume',
      },
    ],
  };
}

/** How the bus of a site fails as a whole; what a node loss does to its servers comes from busResilience. */
export function busFailure(props: { isHub: boolean; links: readonly BusLink[]; site: string }): FailureBehaviour {
  const separate =
    "each site is its own JetStream domain: this site's streams, consumers and work go on unchanged; messages on cross-site subjects published meanwhile do not reach the other site";
  return {
    serves: `NATS JetStream bus of the site${props.links.length > 0 ? (props.isHub ? ' (hub of the leafnode link)' : ' (leaf of the leafnode link)') : ''}`,
    nodeLoss: unaffected('clients reconnect to another server'),
    otherSiteLoss: unaffected(separate),
    // A leaf talks to the hub only; the hub to every leaf.
    otherSites: props.links.map((l) => (l.hubSite === props.site ? l.leafSite : l.hubSite)),
    linkLoss: unaffected(separate),
  };
}
