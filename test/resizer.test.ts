/** The resizer against an in-test Bus double (the real bus lives in another component). */
import { App } from 'cdk8s';
import { PlatformComponent } from '../charts/component';
import { siteContext, type SiteContext } from '../charts/context';
import type { Bus, BusAccess, ConsumerSpec, CrossSiteSubjects, StreamSpec, JetStreamLagTrigger } from '../charts/lib/bus';
import type { Endpoint } from '../charts/lib/declarations';
import { stackKey } from '../charts/lib/object-store';
import { buildObjectStore } from '../charts/object-store';
import { MayastorComponent } from '../charts/storage/mayastor';
import { objectStores } from '../sites/object-stores';
import { RESIZER_SIZES } from '../charts/resizer/config';
import { ResizerComponent } from '../charts/resizer/resizer';
import { SecretsComponent } from '../charts/secrets/secrets';
import type { KubeObject } from '../pipeline/render';
import { PLATFORM, SITES, type Site } from '../sites';
import { withChange } from './helpers';
import { unaffected } from '../charts/lib/resilience';

class FakeBusComponent extends PlatformComponent {
  constructor(scope: App, context: SiteContext) {
    super(scope, { name: 'bus', context, namespace: 'bus' });
    this.declareFailureBehaviour({ serves: 'a test component', nodeLoss: unaffected('a test component') });
  }
}

class BusDouble implements Bus {
  readonly domain: string;
  readonly monitoringEndpoint = 'bus-nats.bus.svc:8222';
  readonly pods: Endpoint;
  readonly streams: { stream: StreamSpec; consumers: readonly ConsumerSpec[] }[] = [];
  readonly grants: { client: string; user: string; publish: readonly string[]; subscribe: readonly string[] }[] = [];
  readonly crossSite: (CrossSiteSubjects & { client: string })[] = [];
  constructor(readonly component: FakeBusComponent) {
    this.domain = component.site.name;
    this.pods = component.endpoint({ podLabels: { app: 'nats' }, ports: [{ port: 4222 }, { port: 8222 }] });
  }
  declareStream(stream: StreamSpec, consumers: readonly ConsumerSpec[] = []): void {
    this.streams.push({ stream, consumers });
  }
  declareCrossSite(client: PlatformComponent, subjects: CrossSiteSubjects): void {
    this.crossSite.push({ client: client.componentName, ...subjects });
  }
  lagTrigger(consumer: ConsumerSpec): JetStreamLagTrigger {
    return { natsServerMonitoringEndpoint: this.monitoringEndpoint, account: 'APP', stream: consumer.stream, consumer: consumer.durable };
  }
  grant(
    client: PlatformComponent,
    pods: Endpoint,
    user: string,
    permissions: { publish: readonly string[]; subscribe: readonly string[] },
  ): BusAccess {
    this.grants.push({ client: client.componentName, user, ...permissions });
    client.dependOn(this.component);
    client.talksTo(pods, this.pods, [{ port: 4222 }]);
    return {
      url: 'nats://bus-nats.bus.svc:4222',
      credentialsSecret: { secretName: `${user}-nats`, rotatedIn: 'vault' },
      domain: this.domain,
      account: 'APP',
    };
  }
}

function render(
  site: Site,
  stackOutputs?: SiteContext['stackOutputs'],
): { objects: KubeObject[]; resizer: ResizerComponent; bus: BusDouble; store: PlatformComponent } {
  const app = new App({ outdir: 'dist/cdk8s' });
  const context = siteContext(site, PLATFORM, stackOutputs);
  const secrets = new SecretsComponent(app, context);
  const store = buildObjectStore(app, context, { secrets, storage: new MayastorComponent(app, context) });
  const bus = new BusDouble(new FakeBusComponent(app, context));
  const resizer = new ResizerComponent(app, context, { bus, store });
  return { objects: resizer.toJson() as KubeObject[], resizer, bus, store };
}

interface ContainerJson {
  image: string;
  env: { name: string; value?: string }[];
  securityContext: unknown;
  readinessProbe: { httpGet: unknown };
  livenessProbe: { httpGet: unknown };
  resources: { limits: { memory: string }; requests: { memory: string } };
}
/** The fields the assertions read, on any rendered object (a missing one fails the assertion). */
interface Rendered {
  spec: {
    replicas: number;
    template: { spec: { securityContext: unknown; containers: ContainerJson[]; topologySpreadConstraints: unknown[] } };
    triggers: unknown[];
  };
}

const find = (objects: KubeObject[], kind: string, name: string): Rendered =>
  objects.find((o) => o.kind === kind && o.metadata.name === name) as unknown as Rendered;

describe.each(SITES.map((s) => [s.name, s] as const))('resizer on %s', (_n, site) => {
  const { objects, resizer, bus, store } = render(site);

  it('declares the work-queue stream and its durable consumer on the bus, and least-privilege users', () => {
    expect(bus.streams).toEqual([
      expect.objectContaining({
        stream: expect.objectContaining({ name: 'RESIZE', subjects: ['resize.requests'], retention: 'workqueue' }),
      }),
    ]);
    expect(bus.streams[0]!.consumers).toEqual([expect.objectContaining({ durable: 'resizer-workers', stream: 'RESIZE' })]);
    expect(bus.grants.map((g) => [g.user, g.publish])).toEqual([
      ['resizer-api', ['resize.requests']],
      ['resizer-worker', expect.arrayContaining(['$JS.API.CONSUMER.MSG.NEXT.RESIZE.resizer-workers'])],
    ]);
  });

  it('runs restricted, probed, spread and budgeted workloads from the site image', () => {
    for (const name of ['resizer-api', 'resizer-worker']) {
      const d = find(objects, 'Deployment', name);
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      const c = pod.containers[0];
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.readinessProbe.httpGet).toMatchObject({ path: '/healthz/ready', port: 'http' });
      expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz/live' });
      expect(c.resources.limits.memory).toBe(c.resources.requests.memory);
      expect(c.image).toBe(`${site.resizer.image.registry}/${name}:${site.resizer.image.tag}`);
      expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname' });
      expect(find(objects, 'PodDisruptionBudget', name)).toBeDefined();
    }
    expect(find(objects, 'Deployment', 'resizer-api').spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it('gives both roles the bus and the store from the typed objects', () => {
    const env = Object.fromEntries(
      (find(objects, 'Deployment', 'resizer-worker').spec.template.spec.containers[0].env as { name: string; value?: string }[]).map(
        (e) => [e.name, e.value ?? 'secret'],
      ),
    );
    const bucket = site.objectStore.kind === 's3' ? `${site.objectStore.bucketPrefix}-images` : 'images';
    expect(env).toMatchObject({
      NATS_URL: 'nats://bus-nats.bus.svc:4222',
      NATS_JS_DOMAIN: site.name,
      RESIZE_STREAM: 'RESIZE',
      RESIZE_CONSUMER: 'resizer-workers',
      S3_BUCKET: bucket,
      AWS_SECRET_ACCESS_KEY: 'secret',
      RESIZE_SIZES: RESIZER_SIZES.map((s) => `${s.name}=${s.maxEdgePx}`).join(','),
    });
    expect(resizer.dependencies).toEqual(expect.arrayContaining([bus.component, store]));
    const secrets = objects.filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata.name);
    expect(secrets).toEqual(['resizer-images-s3']);
  });

  it('autoscales the API on CPU and the workers on consumer lag within the site bounds', () => {
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'resizer-api');
    expect(hpa.spec).toMatchObject({ minReplicas: site.resizer.api.min, maxReplicas: site.resizer.api.max });
    const so = find(objects, 'ScaledObject', 'resizer-worker');
    expect(so.spec).toMatchObject({
      minReplicaCount: site.resizer.workers.min,
      maxReplicaCount: site.resizer.workers.max,
      scaleTargetRef: { name: 'resizer-worker' },
    });
    expect(so.spec.triggers[0]).toEqual({
      type: 'nats-jetstream',
      metadata: expect.objectContaining({
        natsServerMonitoringEndpoint: 'bus-nats.bus.svc:8222',
        account: 'APP',
        stream: 'RESIZE',
        consumer: 'resizer-workers',
      }),
    });
  });

  it('exposes the API with an upload limit and no retries, and declares its flows', () => {
    expect(resizer.declarations.routes).toEqual([
      expect.objectContaining({
        host: `images.${site.dns.publicDomain}`,
        maxRequestBodyMiB: 20,
        retries: 0,
        responseTimeout: '60s',
        backend: resizer.api,
      }),
    ]);
    const flows = [
      ...resizer.declarations.flows.map((f) => f.to.component),
      ...resizer.declarations.externalFlows.map((f) => f.cidrs.join()),
    ];
    expect(flows).toContain('bus');
    expect(flows).toContain(
      site.objectStore.kind === 'minio' ? 'object-store' : site.objectStore.kind === 's3' ? site.objectStore.cidrs.join() : '0.0.0.0/0',
    );
  });
});

it('pins a digest when the site gives one', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const site = withChange(
    SITES[1]!,
    (s) => ((s.resizer as { image: Record<string, unknown> }).image.digests = { 'resizer-worker': digest }),
  );
  const { objects } = render(site);
  expect(find(objects, 'Deployment', 'resizer-worker').spec.template.spec.containers[0].image).toBe(
    `registry.chataik.fr/chatalk/resizer-worker:1.0.0@${digest}`,
  );
  expect(find(objects, 'Deployment', 'resizer-api').spec.template.spec.containers[0].image).toBe(
    'registry.chataik.fr/chatalk/resizer-api:1.0.0',
  );
});

it('reads the AWS bucket name and region resolved from the stack outputs', () => {
  const site = { ...SITES[0]!, objectStore: objectStores.aws('cluster1') };
  const outputs = new Map([
    ['Region', 'eu-west-3'],
    ['EndpointUrl', 'https://s3.eu-west-3.amazonaws.com'],
    ['ImagesBucketName', 'chatalk-cluster1-objects-imagesbucket-x1'],
  ]);
  const { objects } = render(site, new Map([[stackKey('eu-west-3', 'chatalk-cluster1-objects'), outputs]]));
  const env = find(objects, 'Deployment', 'resizer-api').spec.template.spec.containers[0].env as { name: string; value?: string }[];
  expect(env.filter((e) => e.name.startsWith('S3_'))).toEqual([
    { name: 'S3_ENDPOINT', value: 'https://s3.eu-west-3.amazonaws.com' },
    { name: 'S3_REGION', value: 'eu-west-3' },
    { name: 'S3_BUCKET', value: 'chatalk-cluster1-objects-imagesbucket-x1' },
    { name: 'S3_FORCE_PATH_STYLE', value: 'false' },
  ]);
});
