import { App } from 'cdk8s';
import type { Construct } from 'constructs';
import { PlatformComponent } from '../charts/component';
import { siteContext, type SiteContext } from '../charts/context';
import type { Endpoint } from '../charts/lib/declarations';
import type { BucketAccess, ObjectStore } from '../charts/lib/object-store';
import { StolonComponent } from '../charts/postgres/stolon';
import { BACKUP_SCHEDULE } from '../charts/postgres/backup';
import { SecretsComponent } from '../charts/secrets/secrets';
import { CertManagerComponent } from '../charts/cert-manager/cert-manager';
import { MetalLbComponent } from '../charts/metallb/metallb';
import { MayastorComponent } from '../charts/storage/mayastor';
import { SITES, PLATFORM } from '../sites';
import { unaffected } from '../charts/lib/resilience';

/** An object store double that records grants. */
class FakeStore extends PlatformComponent implements ObjectStore {
  readonly grants: { client: string; pods: Endpoint; purpose: string }[] = [];
  get component(): PlatformComponent {
    return this;
  }
  constructor(scope: Construct, context: SiteContext) {
    super(scope, { name: 'fake-store', context, namespace: 'store' });
    this.declareFailureBehaviour({ serves: 'a test component', nodeLoss: unaffected('a test component') });
  }
  grant(client: PlatformComponent, pods: Endpoint, purpose: string): BucketAccess {
    this.grants.push({ client: client.componentName, pods, purpose });
    client.dependOn(this);
    return {
      endpointUrl: 'http://store.store.svc:9000',
      region: 'us-east-1',
      bucket: `${purpose}-bucket`,
      pathStyle: true,
      credentialsSecret: { secretName: `${purpose}-credentials`, rotatedIn: 'vault' },
    };
  }
}

interface CronJobShape {
  spec: {
    schedule: string;
    concurrencyPolicy: string;
    jobTemplate: {
      spec: {
        template: {
          spec: {
            automountServiceAccountToken: boolean;
            securityContext: Record<string, unknown>;
            containers: {
              image: string;
              env: { name: string; value?: string }[];
              envFrom: { secretRef: { name: string } }[];
              securityContext: Record<string, unknown>;
              resources: { requests: Record<string, string>; limits: Record<string, string> };
            }[];
          };
        };
      };
    };
  };
}

function build(withStore: boolean): { postgres: StolonComponent; store?: FakeStore } {
  const site = SITES.find((s) => s.name === 'cluster2')!;
  const context = siteContext(site, PLATFORM);
  const app = new App();
  const secrets = new SecretsComponent(app, context);
  const storage = new MayastorComponent(app, context);
  const metallb = new MetalLbComponent(app, context);
  const certManager = new CertManagerComponent(app, context, { secrets });
  const store = withStore ? new FakeStore(app, context) : undefined;
  const postgres = new StolonComponent(app, context, {
    secrets,
    storage,
    metallb,
    certManager,
    backupStore: store,
  });
  return { postgres, store };
}

describe('PostgreSQL backups', () => {
  it('renders no backup without an object store', () => {
    const { postgres } = build(false);
    expect(postgres.toJson().filter((o: { kind: string }) => o.kind === 'CronJob')).toEqual([]);
  });

  it('asks the store for the postgres-backups bucket and writes there with its credentials', () => {
    const { postgres, store } = build(true);
    expect(store!.grants.map((g) => [g.client, g.purpose])).toEqual([['postgres', 'postgres-backups']]);
    expect(postgres.dependencies).toContain(store);
    const cron = postgres.toJson().find((o: { kind: string }) => o.kind === 'CronJob') as CronJobShape;
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const container = pod.containers[0]!;
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      BUCKET: 'postgres-backups-bucket',
      RCLONE_CONFIG_STORE_ENDPOINT: 'http://store.store.svc:9000',
      RCLONE_CONFIG_STORE_FORCE_PATH_STYLE: 'true',
      RETENTION_DAYS: String(BACKUP_SCHEDULE.retentionDays),
      PGHOST: 'stolon-readonly',
      SITE: 'cluster2',
    });
    expect(container.envFrom).toEqual([{ secretRef: { name: 'postgres-backups-credentials' } }]);
    expect(container.image).not.toMatch(/:latest$/);
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.resources.limits.memory).toBeDefined();
  });

  it('declares the backup pods’ flow to the keepers they read from', () => {
    const { postgres, store } = build(true);
    const backupPods = store!.grants[0]!.pods;
    const flows = postgres.declarations.flows.filter((f) => f.from === backupPods);
    expect(flows.map((f) => [f.to.serviceName, f.ports?.map((p) => p.port)])).toEqual([['stolon-readonly', [5432]]]);
  });
});
