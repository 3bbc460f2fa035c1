import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../charts/component';
import type { SiteContext } from '../charts/context';
import { RESTART_ON_SECRET_CHANGE, restartOnSecretChange, secretEnv } from '../charts/lib/workload';
import { VaultSecret, type SecretsComponent } from '../charts/secrets/secrets';
import { renderSite, type KubeObject, type RenderedSite } from '../pipeline/render';
import { validateRendered } from '../pipeline/validate';
import { secretProducers } from '../pipeline/validate/secret-consumers';
import { checkSecretReload, vaultSecretsRead } from '../pipeline/validate/secret-reload';
import { PLATFORM, SITES } from '../sites';

const rendered = SITES.map((site) => renderSite(site, PLATFORM));
const cluster2 = rendered.find((r) => r.site.name === 'cluster2')!;

const component = (site: RenderedSite, name: string) => site.components.find((c) => c.name === name)!;
const annotations = (o: KubeObject) => (o.metadata.annotations ?? {}) as Readonly<Record<string, string>>;
const named = (o: KubeObject): string[] =>
  String(annotations(o)[RESTART_ON_SECRET_CHANGE] ?? '')
    .split(',')
    .filter(Boolean);

/** Every rendered workload with the Vault-backed Secrets its pods read, read from the objects themselves. */
function vaultReaders(site: RenderedSite): { component: string; object: KubeObject; secrets: string[] }[] {
  const producers = secretProducers(site);
  return site.components.flatMap((c) =>
    c.objects.flatMap((object) => {
      const ns = object.metadata.namespace ?? c.namespace ?? '';
      const secrets = vaultSecretsRead(object, ns, producers);
      return secrets.length > 0 ? [{ component: c.name, object, secrets: secrets.sort() }] : [];
    }),
  );
}

describe('the reloader component', () => {
  const reloader = component(cluster2, 'reloader');

  it('installs the pinned chart with the annotations strategy, restricted, with its resources', () => {
    expect(reloader.helmChart).toMatchObject({
      releaseName: 'reloader',
      upstream: { chart: { repoURL: 'https://stakater.github.io/stakater-charts', name: 'reloader', version: '2.2.16' } },
      values: {
        reloader: {
          reloadStrategy: 'annotations',
          autoReloadAll: false,
          ignoreConfigMaps: true,
          readOnlyRootFileSystem: true,
          deployment: {
            replicas: 1,
            resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          },
        },
      },
    });
    expect(reloader.declarations.upstreamWorkloads).toMatchObject([{ name: 'reloader-reloader', replicas: 1 }]);
  });

  it('may reach the API server and DNS, and nothing reaches it', () => {
    const policies = reloader.objects.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(['allow-dns', 'allow-reloader-reloader', 'default-deny']);
    const api = policies.find((p) => p.metadata.name === 'allow-reloader-reloader')!;
    const { apiServer } = cluster2.site.network;
    expect(api.spec).toMatchObject({ policyTypes: ['Egress'], egress: [{ ports: [{ port: apiServer.port, protocol: 'TCP' }] }] });
    expect(policies.some((p) => (p.spec as { ingress?: unknown[] }).ingress !== undefined)).toBe(false);
  });

  it('syncs in the last wave, and nothing depends on it', () => {
    for (const site of rendered) {
      const waves = component(site, 'apps')
        .objects.filter((o) => o.kind === 'Application')
        .map((o) => ({ name: o.metadata.name, wave: Number(annotations(o)['argocd.argoproj.io/sync-wave'] ?? 0) }));
      const last = Math.max(...waves.map((w) => w.wave));
      expect(waves.find((w) => w.name === 'reloader')?.wave).toBe(last);
      expect(site.components.filter((c) => c.dependencies.includes('reloader')).map((c) => c.name)).toEqual([]);
    }
  });
});

describe('restart on rotation', () => {
  it('every workload reading a Vault-backed Secret names exactly those in the annotation, except CronJobs', () => {
    for (const site of rendered) {
      const readers = vaultReaders(site);
      expect(readers.length).toBeGreaterThan(5);
      for (const r of readers) {
        if (r.object.kind === 'CronJob') expect(named(r.object)).toEqual([]);
        else expect([site.site.name, r.object.metadata.name, named(r.object)]).toEqual([site.site.name, r.object.metadata.name, r.secrets]);
      }
    }
  });

  it("names the workloads' own Secrets: the resizer's bus and bucket keys, MinIO's root, the keepers' passwords", () => {
    const objectOf = (c: string, kind: string, name: string) =>
      component(cluster2, c).objects.find((o) => o.kind === kind && o.metadata.name === name)!;
    expect(named(objectOf('resizer', 'Deployment', 'resizer-api'))).toEqual(['bus-resizer-api', 'resizer-images-s3']);
    expect(named(objectOf('object-store', 'Deployment', 'object-store-minio'))).toEqual(['object-store-minio-root']);
    expect(named(objectOf('postgres', 'StatefulSet', 'stolon-keeper'))).toEqual(['stolon-replication', 'stolon-superuser']);
    // The MinIO users: the bucket hook Job is recreated when its root or a purpose's keys change.
    expect(named(objectOf('object-store', 'Job', 'object-store-buckets'))).toEqual([
      'object-store-buckets-images',
      'object-store-buckets-postgres-backups',
      'object-store-minio-root',
    ]);
    expect(restartOnSecretChange([])).toEqual({});
  });

  class Forgetful extends PlatformComponent {
    constructor(scope: Construct, context: SiteContext, secrets: SecretsComponent, annotate: boolean) {
      super(scope, { name: 'forgetful', context, namespace: 'forgetful' });
      this.ownNamespace({ name: 'forgetful', podSecurity: 'restricted' });
      const token = new VaultSecret(this, 'token', {
        store: secrets,
        name: 'forgetful-token',
        namespace: 'forgetful',
        data: { token: { path: 'forgetful/token', property: 'token' } },
      });
      new k8s.KubeDeployment(this, 'app', {
        metadata: { name: 'forgetful', namespace: 'forgetful', ...(annotate ? { annotations: restartOnSecretChange([token]) } : {}) },
        spec: {
          selector: { matchLabels: { app: 'forgetful' } },
          template: {
            metadata: { labels: { app: 'forgetful' } },
            spec: { containers: [{ name: 'app', image: 'example.org/app:1.0.0', env: [secretEnv('TOKEN', token, 'token')] }] },
          },
        },
      });
    }
  }
  const withForgetful = (annotate: boolean) =>
    renderSite(SITES[0]!, PLATFORM, {
      extend: (scope, context, pieces) => new Forgetful(scope, context, pieces['external-secrets']!, annotate),
    });

  it('refuses a new workload that reads a VaultSecret without naming it, and accepts it once named', () => {
    expect(checkSecretReload(withForgetful(false))).toEqual([
      {
        site: 'cluster1',
        component: 'forgetful',
        object: 'Deployment/forgetful/forgetful',
        field: `metadata.annotations.${RESTART_ON_SECRET_CHANGE}`,
        message: expect.stringMatching(/^reads Secret forgetful\/forgetful-token from Vault without naming it/),
      },
    ]);
    expect(checkSecretReload(withForgetful(true))).toEqual([]);
    expect(validateRendered([withForgetful(false)]).findings.map((f) => f.message)).toContainEqual(
      expect.stringMatching(/without naming it/),
    );
  });

  it('refuses a name the workload does not read', () => {
    const site = renderSite(SITES[0]!, PLATFORM);
    const api = component(site, 'resizer').objects.find((o) => o.metadata.name === 'resizer-api')!;
    (api.metadata as { annotations?: Record<string, string> }).annotations = {
      [RESTART_ON_SECRET_CHANGE]: 'bus-resizer-api,resizer-images-s3,stolon-superuser',
    };
    expect(checkSecretReload(site).map((f) => f.message)).toEqual([
      expect.stringMatching(/^names stolon-superuser in .*, which it does not read/),
    ]);
  });

  it('leaves every site valid: schema, policy, sync order, capacity, cross-site', () => {
    expect(validateRendered(rendered).findings).toEqual([]);
  });
});
