/** Names, ports, images and sizes of the bus, shared by the chart and the tests. */
import type { ConfPorts } from './config';

export const NAMESPACE = 'bus';
/** StatefulSet, client Service and the prefix of every bus object. */
export const STATEFULSET = 'bus-nats';
/** Headless Service: stable per-pod names for routes and for KEDA's per-server lookups. */
export const HEADLESS_SERVICE = 'bus-nats-headless';
/** Servers per site: a JetStream meta group of 3 keeps a majority when one node is lost. */
export const REPLICAS = 3;

/**
 * The server we deploy. Rendered configs are checked by nats-server 2.9 (Debian bookworm) in CI;
 * the keys we render exist unchanged in 2.9 and 2.14, so the check holds for the deployed server.
 */
export const NATS_IMAGE = 'nats:2.14.5-alpine';
/** nats CLI image used by the job that creates streams and consumers. */
export const NATS_BOX_IMAGE = 'natsio/nats-box:0.14.5';
/** Turns the monitoring endpoint into Prometheus metrics (nats-server has no /metrics itself). */
export const EXPORTER_IMAGE = 'natsio/prometheus-nats-exporter:0.17.3';

/** Ports in the pods. */
export const PORTS: ConfPorts = { host: '0.0.0.0', client: 4222, cluster: 6222, monitor: 8222, leafnodes: 7422 };
/** Prometheus exporter port. */
export const METRICS_PORT = 7777;

/** Memory limit of a nats-server container (JetStream memory store, buffers, caches). */
export const NATS_MEMORY_LIMIT_MIB = 512;

/** Size of each server's volume. */
export const VOLUME_GIB = 5;
/** JetStream file store limit per server: the volume less room for filesystem and Raft logs. */
export const MAX_FILE_STORE_MIB = 4096;
/** JetStream memory store limit per server (we declare file streams only; this bounds mistakes). */
export const MAX_MEMORY_STORE_MIB = 64;

/** Where the volume and the pid file are mounted. */
export const DATA_DIR = '/data';
export const RUN_DIR = '/var/run/nats';
export const CONFIG_DIR = '/etc/nats';

/** Vault paths (under the site's KV mount). */
export const VAULT = {
  system: { path: 'bus/system', property: 'password' },
  user: (user: string) => ({ path: `bus/users/${user}`, property: 'password' }),
} as const;
