import { createHash } from 'node:crypto';
import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { CertManagerComponent } from '../cert-manager/cert-manager';
import type { KedaComponent } from '../keda/keda';
import type { MayastorComponent } from '../storage/mayastor';
import type { MetalLbComponent } from '../metallb/metallb';
import type { BusAccess, ConsumerSpec, CrossSiteSubjects, JetStreamLagTrigger, Bus, StreamSpec } from '../lib/bus';
import type { Endpoint, PortSpec } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import {
  httpProbe,
  podDisruptionBudget,
  resources,
  restrictedContainerSecurity,
  onePerNode,
  restrictedPodSecurity,
  spreadOverNodes,
} from '../lib/workload';
import { VaultSecret, type SecretsComponent, type VaultKey } from '../secrets/secrets';
import { renderServerConfig, type ConfUser, type ServerConfigInput } from './config';
import {
  CONFIG_DIR,
  DATA_DIR,
  EXPORTER_IMAGE,
  HEADLESS_SERVICE,
  MAX_FILE_STORE_MIB,
  MAX_MEMORY_STORE_MIB,
  METRICS_PORT,
  NAMESPACE,
  NATS_IMAGE,
  PORTS,
  REPLICAS,
  RUN_DIR,
  STATEFULSET,
  VAULT,
  VOLUME_GIB,
} from './constants';
import { APP_ACCOUNT, jetStreamDomain, linksOf } from './link';
import { envName, LinkEnd } from './link-end';
import { crossSiteProblems, linkFilter, type LinkFilter } from './link-subjects';
import { StreamsJob } from './streams-job';
import { busResilience } from './resilience';
import type { StatefulWorkloadResilience } from '../lib/resilience';
import { streamProblems } from './streams';
import { COMPONENT } from '../../model/components';

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

/** A password, as the server sees it: an env var filled from a Vault-backed Secret. */
interface PasswordSource {
  readonly env: string;
  readonly secretName: string;
}

/** Memory limit of a nats-server container (JetStream memory store, buffers, caches). */
const NATS_MEMORY_LIMIT_MIB = 512;

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
  private readonly users: { account: string; user: ConfUser }[] = [];
  private readonly passwords: PasswordSource[] = [];
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

    const system = this.addPassword('NATS_SYS_PASSWORD', VAULT.system, 'bus-nats-system');
    this.users.push({ account: SYSTEM_ACCOUNT, user: { user: 'sys', passwordEnv: system.env, connectionType: 'STANDARD' } });
    this.link = new LinkEnd(this, linksOf(this.site, this.sites), this.pods, props.certManager.internalCa);
    for (const password of this.link.passwords()) this.addPassword(password.env, password.key, password.secretName);

    const configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: `${STATEFULSET}-config`, namespace: NAMESPACE, labels: commonLabels(this.componentName) },
      data: Lazy.any({ produce: () => ({ 'nats.conf': this.configText() }) }),
    });
    this.statefulSet(podLabels, configMap.name, props.storage.nodeLocal.name);
    this.services(podLabels, props.metallb);
    podDisruptionBudget(this, { name: STATEFULSET, namespace: NAMESPACE, podLabels, minAvailable: Math.floor(REPLICAS / 2) + 1 });

    // Routes between the servers of the site.
    this.talksTo(this.pods, this.pods, [{ port: PORTS.cluster, name: 'cluster' }]);
    this.exposeMetrics({ pods: this.pods, port: METRICS_PORT });
    this.dependOn(props.storage);
    if (props.keda) {
      this.talksTo(props.keda.operatorPods, this.pods, [{ port: PORTS.monitor, name: 'monitor' }]);
    }
    this.stateRemoteFact();
    this.resilience = { ...busResilience({ storage: props.storage.nodeLocal, links: this.link.links, site: this.site.name }) };
    this.declareResilience(this.resilience);

    // Streams and consumers are created after every sync by a hook job, as the streams-admin user.
    const admin = this.addUser(ADMIN_USER, { publish: ['$JS.API.>'], subscribe: ['_INBOX.>'] });
    const job = new StreamsJob(this, 'streams', {
      namespace: NAMESPACE,
      url: this.url,
      user: ADMIN_USER,
      passwordSecret: admin.secretName,
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
    const problems = streamProblems(stream, consumers, REPLICAS);
    if (this.streamList.some((s) => s.stream.name === stream.name)) problems.push(`stream ${stream.name} is declared twice`);
    const overlap = stream.subjects.filter((s) => this.streamList.some((o) => o.stream.subjects.includes(s)));
    if (overlap.length > 0) problems.push(`stream ${stream.name}: subjects ${overlap.join(', ')} are already captured by another stream`);
    const crossing = this.crossSite.flatMap((d) => d.subjects).flatMap((s) => crossSiteProblems(s, stream.subjects));
    if (crossing.length > 0) problems.push(`stream ${stream.name} would capture cross-site subjects: ${crossing.join('; ')}`);
    // Every replica lives on a different server: each server stores at most one copy of a stream.
    const perServer = [...this.streamList.map((s) => s.stream), stream].reduce((sum, s) => sum + s.maxBytesMiB, 0);
    if (perServer > MAX_FILE_STORE_MIB) {
      problems.push(`streams would need up to ${perServer} MiB per server, more than the ${MAX_FILE_STORE_MIB} MiB JetStream store`);
    }
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
    if (!USER_NAME.test(user) || user === ADMIN_USER) throw new Error(`bus: '${user}' is not a usable bus user name`);
    if (this.users.some((u) => u.user.user === user)) throw new Error(`bus: user ${user} is granted twice`);
    const vaultKey = VAULT.user(user);
    this.addUser(user, {
      publish: [...permissions.publish],
      // Replies (JetStream acks, pull requests' answers) come back on inboxes.
      subscribe: [...new Set([...permissions.subscribe, '_INBOX.>'])],
    });
    const credentialsSecret = `bus-${user}`;
    new VaultSecret(client, `bus-credentials-${user}`, {
      store: this.secrets,
      name: credentialsSecret,
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
        { name: SYSTEM_ACCOUNT, jetstream: false, users: this.usersOf(SYSTEM_ACCOUNT) },
        { name: APP_ACCOUNT, jetstream: true, users: [...this.usersOf(APP_ACCOUNT), ...this.link.leafUsers(filter)] },
      ],
      systemAccount: SYSTEM_ACCOUNT,
      ...this.link.config(filter),
      pidFile: `${RUN_DIR}/nats.pid`,
      lameDuckDuration: '30s',
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
      ...this.passwords.map((p) => ({ name: p.env, valueFrom: { secretKeyRef: { name: p.secretName, key: 'password' } } })),
      // After the password: the kubelet expands $(VAR) only from variables defined before.
      ...this.link.env(),
    ];
    return env;
  }

  /** What the nats container runs: the certificate reload loop (if any), then the server. */
  serverScript(): string {
    return ['set -eu', ...this.link.reloadScript(), `exec nats-server --config ${CONFIG_DIR}/nats.conf`].join('\n');
  }

  /** The leaf end of the link: what the rendered remote dials, and as whom. */
  private stateRemoteFact(): void {
    const hubLink = this.link.links[0];
    const remote = this.serverConfig().leafRemote;
    if (this.isHub || !hubLink || !remote) return;
    this.link.stateFacts(hubLink.hubAddress, hubLink.hubDomain, remote.account);
    this.link.refresh(this.linkFilter());
  }

  private usersOf(account: string): ConfUser[] {
    return this.users.filter((u) => u.account === account).map((u) => u.user);
  }

  private addPassword(env: string, key: VaultKey, secretName: string): PasswordSource {
    new VaultSecret(this, secretName, { store: this.secrets, name: secretName, namespace: NAMESPACE, data: { password: key } });
    const source = { env, secretName };
    this.passwords.push(source);
    return source;
  }

  /** An application user: its password in Vault at bus/users/<user>, read by the servers. */
  private addUser(user: string, permissions: { publish: string[]; subscribe: string[] }): PasswordSource {
    const source = this.addPassword(envName('USER', user, 'PASSWORD'), VAULT.user(user), `bus-user-${user}`);
    this.users.push({
      account: APP_ACCOUNT,
      user: {
        user,
        passwordEnv: source.env,
        connectionType: 'STANDARD',
        permissions: { publish: { allow: permissions.publish }, subscribe: { allow: permissions.subscribe } },
      },
    });
    return source;
  }

  private statefulSet(podLabels: Record<string, string>, configMapName: string, storageClassName: string): void {
    const natsResources = resources({ cpuMillis: 100, memoryMiB: 384, memoryLimitMiB: NATS_MEMORY_LIMIT_MIB });
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name: STATEFULSET, namespace: NAMESPACE, labels: { ...commonLabels(this.componentName, 'nats'), ...podLabels } },
      spec: {
        serviceName: HEADLESS_SERVICE,
        replicas: REPLICAS,
        // All servers start together: JetStream needs a majority of them to elect its meta leader.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: podLabels },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: {
          metadata: {
            labels: { ...commonLabels(this.componentName, 'nats'), ...podLabels },
            // A configuration change restarts the servers one by one (the PDB keeps a majority).
            annotations: Lazy.any({ produce: () => ({ 'platform.chataik.fr/config-sha256': sha256(this.configText()) }) }),
          },
          spec: {
            securityContext: restrictedPodSecurity(1000),
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            // Longer than the lame-duck duration, so clients move away before the server stops.
            terminationGracePeriodSeconds: 60,
            topologySpreadConstraints: spreadOverNodes(podLabels),
            // Each server's copy is on its node: never two servers on one node.
            affinity: onePerNode(podLabels),
            containers: [
              {
                name: 'nats',
                image: NATS_IMAGE,
                // A shell first: it starts the loop reloading renewed certificates, then execs the server.
                command: ['/bin/sh', '-c', this.serverScript()],
                env: Lazy.any({ produce: () => this.serverEnv() }),
                ports: [
                  { name: 'client', containerPort: PORTS.client },
                  { name: 'cluster', containerPort: PORTS.cluster },
                  { name: 'leafnodes', containerPort: PORTS.leafnodes },
                  { name: 'monitor', containerPort: PORTS.monitor },
                ],
                resources: natsResources,
                securityContext: restrictedContainerSecurity(),
                // JetStream recovery of a large store can take minutes: liveness waits for startup.
                startupProbe: httpProbe('/healthz', 'monitor', { periodSeconds: 10, failureThreshold: 90 }),
                livenessProbe: httpProbe('/healthz?js-enabled-only=true', 'monitor', { periodSeconds: 30, failureThreshold: 3 }),
                readinessProbe: httpProbe('/healthz?js-server-only=true', 'monitor', { periodSeconds: 10, failureThreshold: 3 }),
                lifecycle: { preStop: { exec: { command: ['nats-server', `-sl=ldm=${RUN_DIR}/nats.pid`] } } },
                volumeMounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  ...this.link.mounts(),
                  { name: 'data', mountPath: DATA_DIR },
                  { name: 'run', mountPath: RUN_DIR },
                ],
              },
              {
                name: 'exporter',
                image: EXPORTER_IMAGE,
                args: [
                  '-port',
                  String(METRICS_PORT),
                  '-varz',
                  '-connz',
                  '-routez',
                  '-subz',
                  '-leafz',
                  '-jsz=all',
                  `http://localhost:${PORTS.monitor}`,
                ],
                ports: [{ name: 'metrics', containerPort: METRICS_PORT }],
                resources: resources({ cpuMillis: 10, memoryMiB: 32, memoryLimitMiB: 64 }),
                securityContext: restrictedContainerSecurity(),
                livenessProbe: httpProbe('/metrics', 'metrics', { periodSeconds: 30 }),
                readinessProbe: httpProbe('/metrics', 'metrics'),
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: configMapName } },
              ...this.link.volumes(),
              { name: 'run', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: commonLabels(this.componentName, 'nats') },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName,
              resources: { requests: { storage: k8s.Quantity.fromString(`${VOLUME_GIB}Gi`) } },
            },
          },
        ],
      },
    });
  }

  private services(podLabels: Record<string, string>, metallb: MetalLbComponent): void {
    const labels = commonLabels(this.componentName, 'nats');
    const port = (name: string, number: number): k8s.ServicePort => ({
      name,
      port: number,
      targetPort: k8s.IntOrString.fromString(name),
    });
    new k8s.KubeService(this, 'headless', {
      metadata: { name: HEADLESS_SERVICE, namespace: NAMESPACE, labels },
      spec: {
        clusterIp: 'None',
        // Servers must find each other before they are ready: readiness needs the cluster formed.
        publishNotReadyAddresses: true,
        selector: podLabels,
        ports: [port('client', PORTS.client), port('cluster', PORTS.cluster), port('monitor', PORTS.monitor)],
      },
    });
    new k8s.KubeService(this, 'client', {
      metadata: { name: STATEFULSET, namespace: NAMESPACE, labels },
      spec: { selector: podLabels, ports: [port('client', PORTS.client)] },
    });
    if (this.isHub && this.link.links.length > 0) {
      const endpoint = metallb.fixedLoadBalancer(this, 'bus');
      // What this end of each link renders; the leaf states what it dials (cross-site check).
      const leafAccount = this.serverConfig().accounts.find((a) => a.users.some((u) => u.connectionType === 'LEAFNODE'));
      this.link.stateFacts(endpoint.address, this.domain, leafAccount?.name ?? '');
      this.link.refresh(this.linkFilter());
      new k8s.KubeService(this, 'leafnodes', {
        metadata: { name: `${STATEFULSET}-leafnodes`, namespace: NAMESPACE, labels, annotations: endpoint.annotations },
        spec: {
          type: endpoint.type,
          // Keeps the leaf site's source address, which the NetworkPolicy admits.
          externalTrafficPolicy: endpoint.externalTrafficPolicy,
          selector: podLabels,
          ports: [port('leafnodes', PORTS.leafnodes)],
        },
      });
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
