/**
 * The nats-server configuration of one bus server, as a typed model rendered to text. The
 * Kubernetes chart and the tests (which run the real nats-server on loopback) both call
 * `renderServerConfig`, so what the tests start is what the cluster runs, ports aside.
 *
 * Syntax is kept within what nats-server 2.9 accepts (the version Debian ships and CI checks
 * with); the deployed image is newer (see NATS_IMAGE), which reads the same keys.
 */
import { EnvRef, renderConf, type ConfBlock, type ConfValue } from './conf-syntax';
import type { SubjectPermissions, SubjectRule } from './link-subjects';

/** Certificate, key and CA files of a TLS end (the CA both sites trust). */
export interface ConfTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

/** Seconds a TLS handshake may take: the link crosses sites. */
const TLS_TIMEOUT_SECONDS = 3;

/** A user of an account; its password is only ever an environment variable reference. */
export interface ConfUser {
  /** User name. */
  readonly user: string;
  /** Environment variable holding the password (filled from a Vault-backed Secret). */
  readonly passwordEnv: string;
  /**
   * How the user may connect: `STANDARD` (a client) or `LEAFNODE` (the other site's servers; the
   * hub authenticates them as account users, because leafnode `authorization` users take no
   * permissions in nats-server 2.9 nor 2.14).
   */
  readonly connectionType: 'STANDARD' | 'LEAFNODE';
  /** Subjects the user may publish to / subscribe on; no restriction when omitted. */
  readonly permissions?: SubjectPermissions;
}

/** A NATS account (an isolated subject space); JetStream is enabled per account. */
export interface ConfAccount {
  /** Account name. */
  readonly name: string;
  /** Whether the account may use JetStream. */
  readonly jetstream: boolean;
  /** Its users. */
  readonly users: readonly ConfUser[];
}

/** Where this server listens. */
export interface ConfPorts {
  /** Interface every listener binds to. */
  readonly host: string;
  /** Client port. */
  readonly client: number;
  /** Cluster (route) port. */
  readonly cluster: number;
  /** HTTP monitoring port. */
  readonly monitor: number;
  /** Leafnode port (listened on by the hub only). */
  readonly leafnodes: number;
}

/** Everything one server's configuration is made of. */
export interface ServerConfigInput {
  /** Environment variable holding the unique server name (the pod name). */
  readonly serverNameEnv: string;
  /** Listeners. */
  readonly ports: ConfPorts;
  /** JetStream file store directory (the persistent volume). */
  readonly storeDir: string;
  /** JetStream file store limit of this server, bytes. */
  readonly maxFileStoreBytes: number;
  /** JetStream memory store limit of this server, bytes. */
  readonly maxMemoryStoreBytes: number;
  /** JetStream domain (one per site). */
  readonly domain: string;
  /** Cluster name (the site). */
  readonly clusterName: string;
  /**
   * Route URLs of every server of the cluster (self-routes are ignored by nats-server). Routes
   * carry no password: the route port only admits the site's bus pods (NetworkPolicy from the
   * declared flow), and a password would have to be embedded in every route URL.
   */
  readonly routes: readonly string[];
  /** Accounts. */
  readonly accounts: readonly ConfAccount[];
  /** The system account (must be one of `accounts`). */
  readonly systemAccount: string;
  /**
   * Hub side of the cross-site link: TLS, a client certificate from the platform CA required.
   * The leaf sites log in as `LEAFNODE` users of the bound account (see ConfUser). `advertise`
   * (`host:port`) is the address the leaves dial, the hub's fixed one: a server always lists its
   * own leafnode address in the INFO it sends a leaf (its listen address, a pod's, unless
   * advertised; `no_advertise` only keeps it from the other servers of the cluster: 2.9.10 and
   * 2.14.5, server/leafnode.go startLeafNodeAcceptLoop `leafURLsMap[...IP]++`, server/route.go),
   * and the leaf adds every listed address it was not configured with before its own and
   * reconnects to them first (updateLeafNodeURLs, pickNextURL): a pod address the other site
   * cannot reach, past the load balancer.
   */
  readonly leafListen?: { readonly tls: ConfTls; readonly advertise: string };
  /**
   * Leaf side of the cross-site link: the hub's URL (an env var, as it embeds the password), the
   * local account, TLS, and what the remote must never send or receive (link-subjects.ts).
   */
  readonly leafRemote?: {
    readonly urlEnv: string;
    readonly account: string;
    readonly tls: ConfTls;
    readonly denyImports: readonly string[];
    readonly denyExports: readonly string[];
  };
  /** File the server writes its pid to (used by the preStop hook for lame-duck mode). */
  readonly pidFile: string;
  /** Lame-duck duration: how long a stopping server takes to move its clients away (Go duration). */
  readonly lameDuckDuration: string;
  /** How often the server pings each connection it hears nothing from (Go duration; link.ts PING). */
  readonly pingInterval: string;
  /** Unanswered pings after which it closes the connection as stale. */
  readonly pingMax: number;
}

function listen(host: string, port: number): string {
  return `${host}:${port}`;
}

function rule(r: SubjectRule): ConfBlock {
  return { allow: r.allow ? [...r.allow] : undefined, deny: r.deny ? [...r.deny] : undefined };
}

function user(u: ConfUser): ConfBlock {
  return {
    user: u.user,
    password: new EnvRef(u.passwordEnv),
    allowed_connection_types: [u.connectionType],
    permissions: u.permissions ? { publish: rule(u.permissions.publish), subscribe: rule(u.permissions.subscribe) } : undefined,
  };
}

function tls(t: ConfTls, verifyClients: boolean): ConfBlock {
  return {
    cert_file: t.certFile,
    key_file: t.keyFile,
    ca_file: t.caFile,
    verify: verifyClients ? true : undefined,
    timeout: TLS_TIMEOUT_SECONDS,
  };
}

/** Renders the nats-server configuration text. */
export function renderServerConfig(input: ServerConfigInput, header: readonly string[] = []): string {
  if (!input.accounts.some((a) => a.name === input.systemAccount)) {
    throw new Error(`system account ${input.systemAccount} is not among the accounts`);
  }
  const accounts: Record<string, ConfValue> = {};
  for (const account of input.accounts) {
    accounts[account.name] = { jetstream: account.jetstream ? 'enabled' : undefined, users: account.users.map(user) };
  }
  const { ports } = input;
  const top: ConfBlock = {
    server_name: new EnvRef(input.serverNameEnv),
    listen: listen(ports.host, ports.client),
    http: listen(ports.host, ports.monitor),
    pid_file: input.pidFile,
    lame_duck_duration: input.lameDuckDuration,
    ping_interval: input.pingInterval,
    ping_max: input.pingMax,
    jetstream: {
      store_dir: input.storeDir,
      max_file_store: input.maxFileStoreBytes,
      max_memory_store: input.maxMemoryStoreBytes,
      domain: input.domain,
    },
    cluster: {
      name: input.clusterName,
      listen: listen(ports.host, ports.cluster),
      routes: [...input.routes],
    },
    leafnodes: leafnodes(input),
    accounts,
    system_account: input.systemAccount,
  };
  return renderConf(top, header);
}

function leafnodes(input: ServerConfigInput): ConfBlock | undefined {
  if (input.leafListen && input.leafRemote) throw new Error('a bus server is either the hub or a leaf of the cross-site link, not both');
  if (input.leafListen) {
    return {
      listen: listen(input.ports.host, input.ports.leafnodes),
      // Leaf servers reach us through a load balancer: the address we list for them is its
      // (leafListen), and the cluster's other servers do not add their pod addresses to it.
      advertise: input.leafListen.advertise,
      no_advertise: true,
      tls: tls(input.leafListen.tls, true),
    };
  }
  if (input.leafRemote) {
    const remote = input.leafRemote;
    return {
      remotes: [
        {
          urls: [new EnvRef(remote.urlEnv)],
          account: remote.account,
          tls: tls(remote.tls, false),
          deny_imports: [...remote.denyImports],
          deny_exports: [...remote.denyExports],
        },
      ],
    };
  }
  return undefined;
}
