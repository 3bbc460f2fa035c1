import type { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { COMPONENT } from '../../model/components';
import type { CertManagerComponent } from '../cert-manager/cert-manager';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { KedaComponent } from '../keda/keda';
import type { Bus, BusAccess, ConsumerSpec, CrossSiteSubjects, JetStreamLagTrigger, StreamSpec } from '../lib/bus';
import type { Endpoint, PortSpec } from '../lib/declarations';
import type { StatefulWorkloadResilience } from '../lib/resilience';
import type { MetalLbComponent } from '../metallb/metallb';
import { VaultSecret, type SecretsComponent } from '../secrets/secrets';
import type { MayastorComponent } from '../storage/mayastor';
import { BusAccounts, type PasswordSource } from './accounts';
import { renderServerConfig, type ServerConfigInput } from './config';
import {
  CONFIG_DIR,
  DATA_DIR,
  HEADLESS_SERVICE,
  MAX_FILE_STORE_MIB,
  MAX_MEMORY_STORE_MIB,
  METRICS_PORT,
  NAMESPACE,
  NATS_MEMORY_LIMIT_MIB,
  PORTS,
  REPLICAS,
  RUN_DIR,
  STATEFULSET,
  VAULT,
} from './constants';
import { APP_ACCOUNT, jetStreamDomain, linksOf, PING } from './link';
import { envName, LinkEnd } from './link-end';
import { crossSiteProblems, linkFilter, type LinkFilter } from './link-subjects';
import { BUS_METRICS, busAlerts } from './alerts';
import { scrapeJob } from '../lib/alerts';
import { busFailure, busResilience } from './resilience';
import { renderServers } from './servers';
import { declarationProblems, streamProblems } from './streams';
import { DEAD_LETTER_INBOX_PREFIX, DEAD_LETTER_USER, deadLetterProblems, deadLetterStream, deadLetterUserPublish } from './dead-letters';
import { StreamsJob } from './streams-job';

/** Typed references the bus needs. */
export interface BusProps {
  /** Secrets component: every password comes from Vault through it. */
  readonly secrets: SecretsComponent;
  /**
   * KEDA, whose operator reads consumer lag from the monitoring port (flow declared here).
   * @default none: the site opts out of KEDA, nothing reads the lag
   */
  readonly keda?: KedaComponent;
  /**
   * Storage: JetStream replicates streams itself (R3 over the three servers), so each server's
   * volume takes the self-replicated (single-replica) class: a second Mayastor copy would store
   * every message six times for no gain in durability.
   */
  readonly storage: MayastorComponent;
  /** MetalLB: the hub's leafnode listener takes the site's fixed `bus` address. */
  readonly metallb: MetalLbComponent;
  /** cert-manager: the link between sites is TLS with certificates from the platform CA. */
  readonly certManager: CertManagerComponent;
}

const SYSTEM_ACCOUNT = 'SYS';
/** The user of the job that creates streams and consumers. */
const ADMIN_USER = 'streams-admin';
const USER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The site's message bus: a 3-server NATS cluster with JetStream on persistent volumes, its own
 * JetStream domain, and a leafnode link to the other site (see link.ts for why leaf nodes).
 * Clients get users through `grant`, declare their streams with `declareStream`, and scale on
 * consumer lag with `lagTrigger`.
 */
export class BusComponent extends PlatformComponent implements Bus {
  readonly component: PlatformComponent = this;
  readonly domain: string;
  /** The headless Service: KEDA reaches each server by `<pod>.<headless>` from it. */
  readonly monitoringEndpoint: string;
  readonly pods: Endpoint;
  /** Client URL inside the cluster. */
  readonly url: string;

  private readonly secrets: SecretsComponent;
  private readonly streamList: { stream: StreamSpec; consumers: readonly ConsumerSpec[] }[] = [];
  private readonly accounts: BusAccounts;
  private readonly crossSite: CrossSiteSubjects[] = [];
  private readonly link: LinkEnd;
  /** Stated once, its copies updated as streams are declared (the least kept stream counts). */
  private readonly resilience: { -readonly [K in keyof StatefulWorkloadResilience]: StatefulWorkloadResilience[K] };
  private readonly clientPort: PortSpec = { port: PORTS.client, name: 'client' };

  constructor(scope: Construct, context: SiteContext, props: BusProps) {
    super(scope, { name: COMPONENT.bus, context, namespace: NAMESPACE });
    this.secrets = props.secrets;
    this.ownNamespace({ name: NAMESPACE, podSecurity: 'restricted' });
    this.domain = jetStreamDomain(this.site);
    this.monitoringEndpoint = `${HEADLESS_SERVICE}.${NAMESPACE}.svc:${PORTS.monitor}`;
    this.url = `nats://${STATEFULSET}.${NAMESPACE}.svc:${PORTS.client}`;

    const podLabels = { 'app.kubernetes.io/name': STATEFULSET };
    const ports: PortSpec[] = [
      this.clientPort,
      { port: PORTS.cluster, name: 'cluster' },
      { port: PORTS.leafnodes, name: 'leafnodes' },
      { port: PORTS.monitor, name: 'monitor' },
      { port: METRICS_PORT, name: 'metrics' },
    ];
    this.pods = this.endpoint({ podLabels, ports, serviceName: STATEFULSET });

    this.accounts = new BusAccounts(this, props.secrets);
    const system = this.accounts.addPassword('NATS_SYS_PASSWORD', VAULT.system, 'bus-nats-system');
    this.accounts.addUser(SYSTEM_ACCOUNT, { user: 'sys', passwordEnv: system.env, connectionType: 'STANDARD' });
    this.link = new LinkEnd(this, linksOf(this.site, this.sites), this.pods, props.certManager.internalCa);
    for (const password of this.link.passwords()) this.accounts.addPassword(password.env, password.key, password.secretName);

    const hubEndpoint = this.isHub && this.link.links.length > 0 ? props.metallb.fixedLoadBalancer(this, 'bus') : undefined;
    renderServers(this, {
      podLabels,
      storageClassName: props.storage.nodeLocal.name,
      link: this.link,
      configText: () => this.configText(),
      env: () => this.serverEnv(),
      secrets: () => this.accounts.passwordSecrets(),
      script: this.serverScript(),
      hubEndpoint,
    });

    // Routes between the servers of the site.
    this.talksTo(this.pods, this.pods, [{ port: PORTS.cluster, name: 'cluster' }]);
    this.exposeMetrics({ pods: this.pods, port: METRICS_PORT, metrics: BUS_METRICS });
    this.dependOn(props.storage);
    if (props.keda) {
      this.talksTo(props.keda.operatorPods, this.pods, [{ port: PORTS.monitor, name: 'monitor' }]);
    }
    // What this end of each link renders; the other end states what it renders (cross-site check).
    this.link.stateEnd(this.serverConfig(), this.domain, hubEndpoint?.address);
    this.link.refresh(this.linkFilter());
    this.resilience = { ...busResilience({ storage: props.storage.nodeLocal, links: this.link.links, site: this.site.name }) };
    this.declareResilience(this.resilience);
    for (const alert of busAlerts(scrapeJob(this.pods), this.resilience.quorum)) this.declareAlert(alert);
    this.declareFailureBehaviour(busFailure({ isHub: this.isHub, links: this.link.links, site: this.site.name }));

    // Streams and consumers are created after every sync by a hook job, as the streams-admin user.
    const admin = this.addUser(ADMIN_USER, { publish: ['$JS.API.>'], subscribe: ['_INBOX.>'] });
    const job = new StreamsJob(this, 'streams', {
      namespace: NAMESPACE,
      url: this.url,
      user: ADMIN_USER,
      passwordSecret: admin.secret,
      streams: () => this.declaredStreams(),
    });
    this.talksTo(job.pods, this.pods, [this.clientPort]);
  }

  /** Whether this site listens for the other sites' leaf connections. */
  get isHub(): boolean {
    return this.link.isHub;
  }

  /** What the link lets through, from the declarations so far (the same function renders both ends). */
  linkFilter(): LinkFilter {
    return linkFilter(this.crossSite, this.streamSubjects());
  }

  /** Subjects captured by the declared streams: the site's work, which stays on the site. */
  private streamSubjects(): string[] {
    return this.streamList.flatMap((s) => s.stream.subjects);
  }

  declareCrossSite(client: PlatformComponent, subjects: CrossSiteSubjects): void {
    this.assertOpen('declareCrossSite');
    const problems = subjects.subjects.flatMap((s) => crossSiteProblems(s, this.streamSubjects()));
    if (!subjects.reason) problems.push('a cross-site declaration needs its reason');
    if (problems.length > 0) throw new Error(`bus: ${client.componentName} cross-site subjects: ${problems.join('; ')}`);
    this.crossSite.push(subjects);
    this.link.refresh(this.linkFilter());
  }

  /** Streams and consumers declared so far. */
  declaredStreams(): readonly { stream: StreamSpec; consumers: readonly ConsumerSpec[] }[] {
    return this.streamList;
  }

  declareStream(stream: StreamSpec, consumers: readonly ConsumerSpec[] = []): void {
    this.assertOpen('declareStream');
    this.addStream(stream, consumers, deadLetterProblems(stream));
    const deadLetters = deadLetterStream(stream);
    if (!deadLetters) return;
    // The same checks as any stream: its subject on no other stream, its size within the store.
    this.addStream(deadLetters, [], []);
    const publish = deadLetterUserPublish(stream, deadLetters);
    // One user for every stream's dead letters: its rights grow with each stream declared with them.
    if (this.accounts.has(DEAD_LETTER_USER)) this.accounts.allowPublish(DEAD_LETTER_USER, publish);
    else this.addUser(DEAD_LETTER_USER, { publish, subscribe: [`${DEAD_LETTER_INBOX_PREFIX}.>`] });
  }

  private addStream(stream: StreamSpec, consumers: readonly ConsumerSpec[], known: readonly string[]): void {
    const declared = this.streamList.map((s) => s.stream);
    const crossSite = this.crossSite.flatMap((d) => d.subjects);
    const problems = [...known, ...streamProblems(stream, consumers, REPLICAS), ...declarationProblems(stream, declared, crossSite)];
    if (problems.length > 0) throw new Error(`bus streams: ${problems.join('; ')}`);
    this.streamList.push({ stream, consumers });
    this.link.refresh(this.linkFilter());
    this.resilience.copies = { ...this.resilience.copies, count: Math.min(...this.streamList.map((s) => s.stream.replicas)) };
  }

  lagTrigger(consumer: ConsumerSpec): JetStreamLagTrigger {
    const known = this.streamList.some((s) => s.stream.name === consumer.stream && s.consumers.some((c) => c.durable === consumer.durable));
    if (!known) throw new Error(`bus: no declared consumer ${consumer.durable} on stream ${consumer.stream}; declareStream it first`);
    return {
      natsServerMonitoringEndpoint: this.monitoringEndpoint,
      account: APP_ACCOUNT,
      stream: consumer.stream,
      consumer: consumer.durable,
    };
  }

  grant(
    client: PlatformComponent,
    pods: Endpoint,
    user: string,
    permissions: { publish: readonly string[]; subscribe: readonly string[] },
  ): BusAccess {
    this.assertOpen('grant');
    if (!USER_NAME.test(user) || user === ADMIN_USER || user === DEAD_LETTER_USER)
      throw new Error(`bus: '${user}' is not a usable bus user name`);
    if (this.accounts.has(user)) throw new Error(`bus: user ${user} is granted twice`);
    const vaultKey = VAULT.user(user);
    this.addUser(
      user,
      {
        publish: [...permissions.publish],
        // Replies (JetStream acks, pull requests' answers) come back on inboxes.
        subscribe: [...new Set([...permissions.subscribe, '_INBOX.>'])],
      },
      client.componentName,
    );
    const credentialsSecret = new VaultSecret(client, `bus-credentials-${user}`, {
      store: this.secrets,
      name: `bus-${user}`,
      namespace: pods.namespace,
      data: { NATS_PASSWORD: vaultKey },
      literals: { NATS_USER: user },
    });
    client.dependOn(this);
    client.talksTo(pods, this.pods, [this.clientPort]);
    return { url: this.url, credentialsSecret, domain: this.domain, account: APP_ACCOUNT };
  }

  /** The configuration every server of this site runs. */
  serverConfig(): ServerConfigInput {
    const filter = this.linkFilter();
    return {
      serverNameEnv: 'POD_NAME',
      ports: PORTS,
      storeDir: `${DATA_DIR}/jetstream`,
      maxFileStoreBytes: MAX_FILE_STORE_MIB * 1024 * 1024,
      maxMemoryStoreBytes: MAX_MEMORY_STORE_MIB * 1024 * 1024,
      domain: this.domain,
      clusterName: this.site.name,
      routes: Array.from(
        { length: REPLICAS },
        (_, i) => `nats://${STATEFULSET}-${i}.${HEADLESS_SERVICE}.${NAMESPACE}.svc:${PORTS.cluster}`,
      ),
      accounts: [
        { name: SYSTEM_ACCOUNT, jetstream: false, users: this.accounts.usersOf(SYSTEM_ACCOUNT) },
        { name: APP_ACCOUNT, jetstream: true, users: [...this.accounts.usersOf(APP_ACCOUNT), ...this.link.leafUsers(filter)] },
      ],
      systemAccount: SYSTEM_ACCOUNT,
      ...this.link.config(filter),
      pidFile: `${RUN_DIR}/nats.pid`,
      lameDuckDuration: '30s',
      pingInterval: PING.interval,
      pingMax: PING.max,
    };
  }

  /** The rendered nats.conf. */
  configText(): string {
    return renderServerConfig(this.serverConfig(), [
      `nats-server configuration of site ${this.site.name}, rendered from the platform model: do not edit.`,
      `JetStream domain ${this.domain}; ${this.isHub ? 'hub of the cross-site leafnode link' : 'leaf of the cross-site link'}.`,
    ]);
  }

  /** The environment the server container gets (passwords from Secrets, the leaf URL composed by the kubelet). */
  serverEnv(): k8s.EnvVar[] {
    const env: k8s.EnvVar[] = [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      // The Go runtime collects harder before reaching the container's limit instead of being OOM-killed.
      { name: 'GOMEMLIMIT', value: `${Math.floor(NATS_MEMORY_LIMIT_MIB * 0.9)}MiB` },
      ...this.accounts.passwordEnv(),
      // After the password: the kubelet expands $(VAR) only from variables defined before.
      ...this.link.env(),
    ];
    return env;
  }

  /** What the nats container runs: the certificate reload loop (if any), then the server. */
  serverScript(): string {
    return ['set -eu', ...this.link.reloadScript(), `exec nats-server --config ${CONFIG_DIR}/nats.conf`].join('\n');
  }

  /** An application user of `owner`: its password in Vault at bus/users/<user>, read by the servers. */
  private addUser(
    user: string,
    permissions: { publish: readonly string[]; subscribe: readonly string[] },
    owner = this.componentName,
  ): PasswordSource {
    const source = this.accounts.addPassword(envName('USER', user, 'PASSWORD'), VAULT.user(user), `bus-user-${user}`, owner);
    this.accounts.addUser(
      APP_ACCOUNT,
      {
        user,
        passwordEnv: source.env,
        connectionType: 'STANDARD',
        permissions: { publish: { allow: permissions.publish }, subscribe: { allow: permissions.subscribe } },
      },
      owner,
    );
    return source;
  }
}
