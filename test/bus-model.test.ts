import { App } from 'cdk8s';
import { goDurationNanos } from '../charts/bus/streams';
import { natsJetStreamTrigger } from '../charts/keda/keda';
import { buildPieces } from '../charts/platform';
import type { ConsumerSpec, StreamSpec } from '../charts/lib/bus';
import { renderSite } from '../pipeline/render';
import { siteContext } from '../charts/context';
import { SITES, PLATFORM } from '../sites';
import { tempDir } from './helpers';

const { dir, cleanup } = tempDir('bus-model-');
afterAll(cleanup);

/** The committed platform of the first site (which runs the bus and KEDA). */
function platform() {
  const { bus, keda } = buildPieces(new App({ outdir: dir }), siteContext(SITES[0]!, PLATFORM));
  return { bus: bus!, keda: keda! };
}

const stream: StreamSpec = {
  name: 'THUMBNAILS',
  subjects: ['thumbnails.requests.>'],
  retention: 'workqueue',
  replicas: 3,
  maxAge: '72h',
  maxBytesMiB: 512,
};
const consumer: ConsumerSpec = { stream: 'THUMBNAILS', durable: 'thumbnail-workers', ackWait: '1m', maxDeliver: 5 };

describe('streams', () => {
  it.each([
    ['72h', 72 * 3600e9],
    ['1h30m', 5400e9],
    ['250ms', 250e6],
  ])('reads the Go duration %s', (text, nanos) => {
    expect(goDurationNanos(text)).toBe(nanos);
  });

  it.each(['72', '3 days', 'h', '-1s'])('rejects %s as a Go duration', (text) => {
    expect(goDurationNanos(text)).toBeUndefined();
  });

  it.each<[string, Partial<StreamSpec>, RegExp]>([
    ['more replicas than servers', { replicas: 5 }, /replicas must be 1\.\.3/],
    ['a bad max age', { maxAge: '3 days' }, /maxAge '3 days' is not a Go duration/],
    ['a bad subject', { subjects: ['thumbnails. requests'] }, /is not a valid subject/],
    ['more bytes than a server stores', { maxBytesMiB: 8192 }, /more than the 4096 MiB JetStream store/],
    [
      'dead letters kept less long than its jobs',
      { deadLetters: { maxAge: '24h', maxBytesMiB: 16 } },
      /at least as long as the stream keeps its messages \(72h\)/,
    ],
    [
      'dead letters past the store',
      { maxBytesMiB: 3000, deadLetters: { maxAge: '72h', maxBytesMiB: 64 } },
      /more than the 4096 MiB JetStream store/,
    ],
    ['a name kept for dead letters', { name: 'THUMBNAILS_DEAD' }, /names ending in _DEAD are kept for dead-letter streams/],
  ])('refuses a stream with %s', (_what, change, message) => {
    expect(() => platform().bus.declareStream({ ...stream, ...change }, [consumer])).toThrow(message);
  });

  it('refuses two streams capturing the same subject', () => {
    const { bus } = platform();
    bus.declareStream(stream, [consumer]);
    expect(() => bus.declareStream({ ...stream, name: 'OTHER' })).toThrow(/already captured by another stream/);
  });
});

describe('dead letters', () => {
  it('declares the dead-letter stream through the same declarations, and a user that may read, replay and delete only', () => {
    const { bus } = platform();
    bus.declareStream({ ...stream, deadLetters: { maxAge: '336h', maxBytesMiB: 16 } }, [consumer]);
    const declared = bus.declaredStreams().map((s) => s.stream);
    expect(declared.find((s) => s.name === 'THUMBNAILS_DEAD')).toEqual({
      name: 'THUMBNAILS_DEAD',
      subjects: ['$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.THUMBNAILS.*'],
      retention: 'limits',
      replicas: 3,
      maxAge: '336h',
      maxBytesMiB: 16,
    });
    const users = bus
      .serverConfig()
      .accounts.flatMap((a) => a.users)
      .filter((u) => u.user === 'dead-letters');
    // One user for the dead letters of every stream: its rights grew with this declaration.
    expect(users).toHaveLength(1);
    const user = users[0]!;
    const api = (s: string) => ['INFO', 'MSG.GET', 'MSG.DELETE'].map((op) => `$JS.API.STREAM.${op}.${s}`);
    // The resizer's streams first (its declaration came first), then this one's.
    expect(user.permissions?.publish.allow?.slice(-8)).toEqual([
      ...api('THUMBNAILS'),
      ...api('THUMBNAILS_DEAD'),
      '$JS.API.CONSUMER.INFO.THUMBNAILS.*',
      'thumbnails.requests.>',
    ]);
    expect(user.permissions?.subscribe).toEqual({ allow: ['_INBOX_dead_letters.>'] });
    expect(user.connectionType).toBe('STANDARD');
  });

  it('keeps the dead-letter user name for itself', () => {
    const { bus } = platform();
    expect(() => bus.grant(bus.component, bus.pods, 'dead-letters', { publish: ['x'], subscribe: [] })).toThrow(
      /not a usable bus user name/,
    );
  });
});

describe('cross-site subjects', () => {
  const client = () => {
    const { bus } = platform();
    return { bus, client: bus.component };
  };

  it.each<[string, string[], RegExp]>([
    ['a subject a stream captures', ['thumbnails.requests.big'], /overlaps thumbnails\.requests\.>, captured by a stream/],
    ['a wildcard reaching into a stream', ['thumbnails.*.big'], /overlaps thumbnails\.requests\.>/],
    ['JetStream acknowledgements', ['$JS.ACK.>'], /reserved subject/],
    ['reply inboxes', ['_INBOX.>'], /reserved subject/],
  ])('refuses %s', (_what, subjects, message) => {
    const { bus, client: c } = client();
    bus.declareStream(stream, [consumer]);
    expect(() => bus.declareCrossSite(c, { subjects, reason: 'test' })).toThrow(message);
  });

  it('refuses a stream capturing a subject declared cross-site', () => {
    const { bus, client: c } = client();
    bus.declareCrossSite(c, { subjects: ['thumbnails.requests.shared'], reason: 'test' });
    expect(() => bus.declareStream(stream, [consumer])).toThrow(/would capture cross-site subjects/);
  });

  it('lets through exactly the declared subjects on both ends, and states them for the cross-site check', () => {
    const ends = SITES.map((site) => {
      const { bus } = buildPieces(new App({ outdir: dir }), siteContext(site, PLATFORM));
      bus!.declareStream(stream, [consumer]);
      bus!.declareCrossSite(bus!.component, { subjects: ['chat.presence.>', 'audit.events'], reason: 'test' });
      return bus!;
    });
    const hub = ends.find((b) => b.isHub)!;
    const leaf = ends.find((b) => !b.isHub)!;
    const leafUser = hub
      .serverConfig()
      .accounts.flatMap((a) => a.users)
      .find((u) => u.connectionType === 'LEAFNODE')!;
    // Acks, flow control and every stream's subjects (the resizer's, its dead letters' and this test's) never cross.
    const never = [
      '$JS.ACK.>',
      '$JS.FC.>',
      '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.RESIZE.*',
      'resize.requests',
      'thumbnails.requests.>',
    ];
    const allow = ['audit.events', 'chat.presence.>'];
    expect(leafUser.permissions).toEqual({ publish: { allow, deny: never }, subscribe: { allow, deny: never } });
    expect(leaf.serverConfig().leafRemote).toMatchObject({ denyImports: never, denyExports: never });
    const facts = ends.map((b) => b.declarations.crossSiteFacts.find((f) => f.key.startsWith('bus-link:'))!.agree);
    expect(facts.map((f) => f.crossing)).toEqual(['audit.events chat.presence.>', 'audit.events chat.presence.>']);
  });

  it('lets nothing through when nothing is declared (an empty allow-list would let everything through)', () => {
    const hub = buildPieces(
      new App({ outdir: dir }),
      siteContext(
        SITES.find((s) => s.bus.role === 'hub')!,
        PLATFORM,
      ),
    ).bus!;
    const leafUser = hub
      .serverConfig()
      .accounts.flatMap((a) => a.users)
      .find((u) => u.connectionType === 'LEAFNODE')!;
    expect(leafUser.permissions).toEqual({ publish: { deny: ['>'] }, subscribe: { deny: ['>'] } });
  });
});

describe('lag trigger for KEDA', () => {
  it('points KEDA at the headless Service monitoring port of the rendered bus', () => {
    const { bus } = platform();
    bus.declareStream(stream, [consumer]);
    const trigger = bus.lagTrigger(consumer);
    expect(trigger).toEqual({
      natsServerMonitoringEndpoint: 'bus-nats-headless.bus.svc:8222',
      account: 'APP',
      stream: 'THUMBNAILS',
      consumer: 'thumbnail-workers',
    });
    const objects = bus.toJson() as {
      kind: string;
      metadata: { name: string; namespace: string };
      spec: { ports: { name: string; port: number }[] };
    }[];
    const headless = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'bus-nats-headless')!;
    const monitorPort = headless.spec.ports.find((p) => p.name === 'monitor')!.port;
    expect(trigger.natsServerMonitoringEndpoint).toBe(`${headless.metadata.name}.${headless.metadata.namespace}.svc:${monitorPort}`);
  });

  it('becomes a ScaledObject trigger of the nats-jetstream scaler', () => {
    const { bus } = platform();
    bus.declareStream(stream, [consumer]);
    expect(natsJetStreamTrigger(bus.lagTrigger(consumer), { lagThreshold: 10 })).toEqual({
      type: 'nats-jetstream',
      metadata: {
        natsServerMonitoringEndpoint: 'bus-nats-headless.bus.svc:8222',
        account: 'APP',
        stream: 'THUMBNAILS',
        consumer: 'thumbnail-workers',
        lagThreshold: '10',
      },
    });
    expect(() => natsJetStreamTrigger(bus.lagTrigger(consumer), { lagThreshold: 2.5 })).toThrow(/lagThreshold must be a whole number/);
  });

  it('refuses a consumer nobody declared', () => {
    expect(() => platform().bus.lagTrigger(consumer)).toThrow(/no declared consumer thumbnail-workers/);
  });

  it('lets the KEDA operator reach the monitoring port of the bus', () => {
    const { bus, keda } = platform();
    const flow = bus.declarations.flows.find((f) => f.from === keda.operatorPods && f.to === bus.pods);
    expect(flow?.ports?.map((p) => p.port)).toEqual([8222]);
  });
});

describe('KEDA', () => {
  const rendered = renderSite(SITES[0]!, PLATFORM);
  const app = rendered.components
    .find((c) => c.name === 'apps')!
    .objects.find((o) => o.kind === 'Application' && o.metadata.name === 'keda')!;
  const source = (app.spec as { sources: { chart?: string; targetRevision: string; helm?: { valuesObject: Record<string, unknown> } }[] })
    .sources[0]!;

  it('installs the pinned upstream chart whose CRDs our ScaledObjects are generated from', () => {
    expect(source).toMatchObject({ chart: 'keda', targetRevision: '2.20.2' });
  });

  it('declares requests for every workload the chart runs, matching the values given', () => {
    const keda = rendered.components.find((c) => c.name === 'keda')!;
    const values = source.helm!.valuesObject as { resources: Record<string, { requests: { cpu: string; memory: string } }> };
    const declared = keda.declarations.upstreamWorkloads;
    expect(declared.map((w) => w.name).sort()).toEqual(['keda-admission-webhooks', 'keda-operator', 'keda-operator-metrics-apiserver']);
    const keyOf: Record<string, string> = {
      'keda-operator': 'operator',
      'keda-operator-metrics-apiserver': 'metricServer',
      'keda-admission-webhooks': 'webhooks',
    };
    for (const w of declared) {
      expect(values.resources[keyOf[w.name]!]!.requests).toEqual({ cpu: `${w.cpuMillis}m`, memory: `${w.memoryMiB}Mi` });
    }
    expect(declared.find((w) => w.name === 'keda-operator')!.replicas).toBe(2);
  });
});
