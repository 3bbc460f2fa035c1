/**
 * The plaintext guard and the secret-consumption check: each kind of leak planted in a render is
 * refused with the site, the component, the object and the field; synth then leaves gitops/
 * untouched; the committed platform has no finding, and every Secret its pods read has a producer.
 */
import { ApiObject, type ApiObjectProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../charts/component';
import type { SiteContext } from '../charts/context';
import type { UpstreamChart } from '../charts/lib/upstream';
import { renderSite } from '../pipeline/render';
import { validateRendered } from '../pipeline/validate';
import { checkPlaintext, credentialIn } from '../pipeline/validate/plaintext';
import { checkSecretConsumers, consumedSecrets, secretProducers } from '../pipeline/validate/secret-consumers';
import { PLATFORM, SITES } from '../sites';
import { refusedSynthMessage } from './synth-refusal';

/** A chart that exists only here: its values are what the guard reads. */
const FAKE_CHART: UpstreamChart = {
  name: 'leaky',
  project: 'Leaky',
  release: { repo: 'example/leaky', ref: 'v1.0.0' },
  chart: {
    repoURL: 'https://charts.example.org',
    name: 'leaky',
    version: '1.0.0',
    source: { repo: 'example/leaky', ref: 'v1.0.0', path: 'chart' },
  },
  kubernetes: { oldest: '1.20', basis: 'prerequisite', source: 'example/leaky@v1.0.0:README.md' },
  workloads: [],
  creates: { cluster: {}, namespaced: { '': ['ConfigMap'] }, source: 'test' },
};

interface LeakProps {
  readonly objects?: readonly ApiObjectProps[];
  readonly helmValues?: Record<string, unknown>;
  readonly exception?: string;
}

class Leaky extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext, props: LeakProps, name = 'leaky') {
    super(scope, { name, context, namespace: name });
    this.ownNamespace({ name, podSecurity: 'restricted' });
    (props.objects ?? []).forEach((o, i) => new ApiObject(this, `o${i}`, o));
    if (props.helmValues) this.useHelmChart({ upstream: FAKE_CHART, releaseName: 'leaky', values: props.helmValues });
    if (props.exception)
      this.acceptPolicyException({ object: props.exception, rule: 'plaintext-secret', reason: 'a public test fixture, not a secret' });
  }
}

const secret = (extra: Record<string, unknown>): ApiObjectProps => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'planted' },
  ...extra,
});
const configMap = (data: Record<string, string>): ApiObjectProps => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'planted' },
  data,
});
const deployment = (container: Record<string, unknown>, volumes: unknown[] = []): ApiObjectProps => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'planted' },
  spec: {
    selector: { matchLabels: { app: 'planted' } },
    template: {
      metadata: { labels: { app: 'planted' } },
      spec: { containers: [{ name: 'app', image: 'app:1.0', ...container }], volumes },
    },
  },
});

const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB',
  '-----END RSA PRIVATE KEY-----',
].join('\n');
const TOKEN = 'q7Zt9XkP2vLw8RmN4bYc6HsJ1dFgA3eU5iOoQpTr';

function findingsOf(props: LeakProps): string[] {
  const site = renderSite(SITES[0]!, PLATFORM, { extend: (scope, context) => new Leaky(scope, context, props) });
  return [...checkPlaintext(site), ...checkSecretConsumers(site)].map((f) => `${f.component} ${f.object} ${f.field}: ${f.message}`);
}

/** Each kind of leak, and the start of the finding it gets (component `leaky`, in namespace `leaky`). */
const LEAKS: readonly (readonly [string, LeakProps, string])[] = [
  [
    'a Secret with data',
    { objects: [secret({ data: { password: 'aHVudGVyMg==' } })] },
    'leaky Secret/leaky/planted data: a Secret with values in git',
  ],
  [
    'a Secret with stringData',
    { objects: [secret({ stringData: { token: 'x' } })] },
    'leaky Secret/leaky/planted stringData: a Secret with values in git',
  ],
  [
    'a PEM private key in a ConfigMap',
    { objects: [configMap({ 'tls.key': PEM })] },
    'leaky ConfigMap/leaky/planted data.tls.key: looks like a PEM private key in clear',
  ],
  [
    'a password in a generated configuration file',
    { objects: [configMap({ 'app.conf': 'listen: 4222\nauthorization {\n  password: hunter2\n}\n' })] },
    'leaky ConfigMap/leaky/planted data.app.conf: looks like a literal password in clear',
  ],
  [
    'a literal password in an environment variable',
    { objects: [deployment({ env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] })] },
    'leaky Deployment/leaky/planted spec.template.spec.containers[0].env[0].value: DB_PASSWORD is given a literal value',
  ],
  [
    'a high-entropy token in an argument',
    { objects: [deployment({ args: [`--header=Authorization: Bearer ${TOKEN}`] })] },
    'leaky Deployment/leaky/planted spec.template.spec.containers[0].args[0]: looks like a high-entropy token in clear',
  ],
  [
    'an AWS access key ID in an environment variable',
    { objects: [deployment({ env: [{ name: 'S3_KEY', value: 'AKIAIOSFODNN7EXAMPLE' }] })] },
    'leaky Deployment/leaky/planted spec.template.spec.containers[0].env[0].value: looks like an AWS access key ID in clear',
  ],
  [
    'a password in Helm values',
    { helmValues: { admin: { password: 'hunter2' } } },
    'leaky Application/argocd/leaky spec.sources[0].helm.valuesObject.admin.password: password is given a literal value',
  ],
  [
    'a camelCase password in Helm values (Grafana names it adminPassword)',
    { helmValues: { grafana: { adminPassword: 'hunter2', existingSecret: 'grafana-admin' } } },
    'leaky Application/argocd/leaky spec.sources[0].helm.valuesObject.grafana.adminPassword: adminPassword is given a literal value',
  ],
];

describe('the plaintext guard', () => {
  it.each(LEAKS)('refuses %s, naming the component, the object and the field', (_what, props, expected) => {
    expect(findingsOf(props)).toEqual([expect.stringContaining(expected)]);
  });

  it('lets through references and placeholders, and a Secret its component declares not secret (listed by validate)', () => {
    expect(
      findingsOf({
        objects: [
          configMap({
            'app.conf': 'password: $BUS_PASSWORD\ntoken: {{ .token }}\n',
            cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
          }),
          deployment({
            env: [
              { name: 'DB_PASSWORD_FILE', value: '/run/secrets/db' },
              { name: 'IMAGE', value: 'sha256:6f1c0f9e2d0b4e5a8c3d7e9f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b' },
            ],
          }),
          secret({ data: { 'ca.crt': 'LS0t' } }),
        ],
        exception: 'Secret/leaky/planted',
      }),
    ).toEqual([]);
    const site = renderSite(SITES[0]!, PLATFORM, {
      extend: (scope, context) => new Leaky(scope, context, { objects: [secret({ data: { a: 'b' } })], exception: 'Secret/leaky/planted' }),
    });
    expect(validateRendered([site]).exceptions).toContain(
      'cluster1: leaky Secret/leaky/planted is exempt from [plaintext-secret]: a public test fixture, not a secret',
    );
  });

  it('tells key material from names', () => {
    expect(credentialIn('ghp_abcdefghijklmnopqrstuvwxyz0123456789AB')).toBe('a GitHub token');
    expect(credentialIn('projectcontour.io/ingress-class-name-and-more-words')).toBeUndefined();
    expect(
      credentialIn('registry.example.org/app@sha256:6f1c0f9e2d0b4e5a8c3d7e9f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b'),
    ).toBeUndefined();
  });

  it('makes synth refuse every kind of leak, each named, and leave gitops/ untouched', () => {
    const message = refusedSynthMessage((scope, context) =>
      LEAKS.forEach(([, props], i) => new Leaky(scope, context, props, `leaky-${i}`)),
    );
    for (const [i, [, , expected]] of LEAKS.entries()) {
      const [component, object, rest] = expected.replace(/leaky/g, `leaky-${i}`).split(' ');
      expect(message).toContain(
        `site cluster1 (sites/cluster1.ts), component ${component}, object ${object}, field ${rest!.replace(/:$/, '')}:`,
      );
    }
  });
});

describe('the secret-consumption check', () => {
  it('refuses a pod reading a Secret nothing produces, by volume, environment or envFrom', () => {
    const findings = findingsOf({
      objects: [
        deployment(
          {
            env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'by-hand', key: 'x' } } }],
            envFrom: [{ secretRef: { name: 'by-hand-too' } }],
          },
          [{ name: 'v', secret: { secretName: 'made-in-the-console' } }],
        ),
      ],
    });
    expect(findings).toEqual([
      expect.stringContaining(
        'spec.template.spec.volumes[0].secret.secretName: reads Secret leaky/made-in-the-console, which no ExternalSecret',
      ),
      expect.stringContaining('spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name: reads Secret leaky/by-hand'),
      expect.stringContaining('spec.template.spec.containers[0].envFrom[0].secretRef.name: reads Secret leaky/by-hand-too'),
    ]);
  });

  it.each(SITES.map((s) => [s.name, s] as const))(
    'finds on %s every Secret a pod reads produced by an ExternalSecret, a Certificate or its release',
    (_n, s) => {
      const site = renderSite(s, PLATFORM);
      const producers = secretProducers(site);
      const reads = site.components.flatMap((c) =>
        c.objects.flatMap((o) => consumedSecrets(o).map((r) => `${o.metadata.namespace}/${r.name}`)),
      );
      // The platform's pods do read Secrets: stolon its superuser and replication passwords, the bus its accounts.
      expect(reads).toEqual(expect.arrayContaining(['postgres/stolon-superuser', 'postgres/stolon-replication']));
      expect(reads.filter((r) => !producers.has(r))).toEqual([]);
      expect(new Set(reads.map((r) => producers.get(r)))).toEqual(new Set(['ExternalSecret', 'Certificate']));
      expect(checkSecretConsumers(site)).toEqual([]);
      expect(checkPlaintext(site)).toEqual([]);
    },
  );
});
