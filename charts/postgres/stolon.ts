import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { COMPONENT } from '../../model/components';
import type { CertManagerComponent } from '../cert-manager/cert-manager';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { Endpoint } from '../lib/declarations';
import { commonLabels } from '../lib/labels';
import type { ObjectStore } from '../lib/object-store';
import type { MetalLbComponent } from '../metallb/metallb';
import { VaultSecret, type SecretsComponent } from '../secrets/secrets';
import type { MayastorComponent } from '../storage/mayastor';
import { StolonBackup } from './backup';
import { renderProxies, renderSentinels } from './daemons';
import { STOLON_IMAGE } from './image';
import { KEEPER_SIZING, renderKeepers } from './keeper';
import { METRICS_PORT, SPEC_FILE, podLabels, renderStolonRbac, stolonPodBase } from './pods';
import { POSTGRES_NAMESPACE as NAMESPACE, STOLON_OBJECTS, stolonName } from './names';
import { renderReplication } from './replication';
import { keeperResilience, postgresFailure, replicationSignals } from './resilience';
import { STOLON_METRICS, stolonAlerts } from './alerts';
import { SQL_EXPORTER_PORT, healthSignalMetric } from '../monitoring/sql-exporter';
import { scrapeJob } from '../lib/alerts';
import { RESTORE_SPEC_FILE, restoreSpec } from './restore';
import { PG_PORT, clusterSpec, primarySite, runsPostgres, specJson, type StolonClusterSpec } from './spec';
import { keeperCertificate } from './tls';
import { renderUpdateJob } from './update-job';

/** Props of the PostgreSQL component. */
export interface StolonProps {
  /** The site's secrets component (credentials come from Vault through it). */
  readonly secrets: SecretsComponent;
  /** The site's storage: keepers take their volumes from it. */
  readonly storage: MayastorComponent;
  /** MetalLB: the primary's endpoint for the other sites takes the site's fixed `database` address. */
  readonly metallb: MetalLbComponent;
  /** cert-manager: the keepers' TLS certificate comes from the platform CA (tls.ts). */
  readonly certManager: CertManagerComponent;
  /**
   * Where base backups go (backup.ts: nightly, kept 14 days).
   * @default none: no backup CronJob is rendered
   */
  readonly backupStore?: ObjectStore;
}

/**
 * PostgreSQL with stolon on one site, wired here: keepers (keeper.ts, one PostgreSQL each),
 * sentinels and proxies (daemons.ts), the cluster spec from git and its update job
 * (update-job.ts), the cross-site replication (replication.ts) and the backups (backup.ts). The primary site (sites/, `database.role`) runs
 * a `master` cluster and exposes its proxy on a fixed address; the other sites run a `standby`
 * cluster replicating from that address, readable through `stolon-readonly` (seed 000: if the
 * primary site falls, writes stop and reads go on).
 */
export class StolonComponent extends PlatformComponent {
  /** The spec this site's cluster runs. */
  readonly spec: StolonClusterSpec;
  /** Read-write endpoint (the proxies: always the current master) for applications. */
  readonly readWrite: Endpoint;
  /** Read-only endpoint (every keeper, hot standbys on a standby site) for readers. */
  readonly readOnly: Endpoint;
  /** The keepers, for flows. */
  readonly keepers: Endpoint;

  constructor(scope: Construct, context: SiteContext, props: StolonProps) {
    super(scope, { name: COMPONENT.postgres, context, namespace: NAMESPACE });
    this.ownNamespace({ name: NAMESPACE, podSecurity: 'restricted' });
    this.dependOn(props.storage);
    this.spec = clusterSpec(this.site, this.sites);
    const isPrimary = this.spec.role === 'master';
    if (!isPrimary) {
      this.syncOrder.readinessDependsOnOtherSite(
        `a standby keeper becomes ready only once pg_basebackup from the primary site ${primarySite(this.sites).name} has completed`,
      );
    }

    this.keepers = this.endpoint({
      podLabels: podLabels('keeper'),
      ports: [
        { port: PG_PORT, name: 'postgres' },
        { port: METRICS_PORT, name: 'metrics' },
      ],
      serviceName: stolonName('keeper'),
    });
    this.readOnly = { ...this.keepers, serviceName: STOLON_OBJECTS.readOnly };
    const sentinels = this.endpoint({ podLabels: podLabels('sentinel'), ports: [{ port: METRICS_PORT, name: 'metrics' }] });
    this.readWrite = this.endpoint({
      podLabels: podLabels('proxy'),
      ports: [
        { port: PG_PORT, name: 'postgres' },
        { port: METRICS_PORT, name: 'metrics' },
      ],
      serviceName: stolonName('proxy'),
    });
    const updater = this.endpoint({ podLabels: { ...commonLabels(this.componentName, 'update') }, ports: [] });

    // Keepers stream from each other, proxies relay clients to the master. Sentinels talk to no
    // keeper: they read keeper state from the store (pod annotations) through the API server.
    this.talksTo(this.keepers, this.keepers, [{ port: PG_PORT }]);
    this.talksTo(this.readWrite, this.keepers, [{ port: PG_PORT }]);
    for (const pods of [this.keepers, sentinels, this.readWrite, updater]) this.usesApiServer(pods);
    this.exposeMetrics({ pods: this.keepers, port: METRICS_PORT, metrics: STOLON_METRICS.keeper });
    this.exposeMetrics({ pods: sentinels, port: METRICS_PORT, metrics: STOLON_METRICS.sentinel });
    this.exposeMetrics({ pods: this.readWrite, port: METRICS_PORT, metrics: STOLON_METRICS.proxy });
    for (const alert of stolonAlerts(scrapeJob(this.keepers), isPrimary)) this.declareAlert(alert);

    renderStolonRbac(this);
    const su = new VaultSecret(this, 'superuser', {
      store: props.secrets,
      name: 'stolon-superuser',
      namespace: NAMESPACE,
      data: { password: { path: 'postgres/superuser', property: 'password' } },
    });
    const repl = new VaultSecret(this, 'replication', {
      store: props.secrets,
      name: 'stolon-replication',
      namespace: NAMESPACE,
      data: { password: { path: 'postgres/replication', property: 'password' } },
    });
    const json = specJson(this.spec);
    new k8s.KubeConfigMap(this, 'spec', {
      metadata: { name: STOLON_OBJECTS.clusterSpec, namespace: NAMESPACE, labels: commonLabels(this.componentName, 'spec') },
      // The primary also carries the spec a restore starts from (restore.ts, the restore runbook).
      data: { [SPEC_FILE]: json, ...(isPrimary ? { [RESTORE_SPEC_FILE]: specJson(restoreSpec(this.spec)) } : {}) },
    });

    // Read by the exporter beside each keeper, which monitoring scrapes.
    const signals = replicationSignals(this.spec, this.keepers);
    this.exposeMetrics({ pods: this.keepers, port: SQL_EXPORTER_PORT, metrics: signals.map(healthSignalMetric) });
    renderKeepers(this, {
      superuserSecret: su,
      replicationSecret: repl,
      tlsSecret: keeperCertificate(this, props.certManager.internalCa, this.site, NAMESPACE),
      storageClass: props.storage.nodeLocal.name,
      healthSignals: signals,
    });
    renderSentinels(this);
    renderProxies(this);
    renderUpdateJob(this, {
      namespace: NAMESPACE,
      image: STOLON_IMAGE,
      specJson: json,
      specConfigMap: STOLON_OBJECTS.clusterSpec,
      podBase: stolonPodBase('update'),
    });
    renderReplication(this, { spec: this.spec, keepers: this.keepers, proxies: this.readWrite, metallb: props.metallb });
    const standbySites = this.sites.filter((s) => s.database.role === 'standby' && runsPostgres(s)).map((s) => s.name);
    this.declareResilience(
      keeperResilience({
        spec: this.spec,
        keepers: KEEPER_SIZING.replicas,
        volumeGiB: KEEPER_SIZING.volumeGiB,
        storage: props.storage.nodeLocal,
        primarySite: primarySite(this.sites).name,
        standbySites,
      }),
    );
    for (const signal of signals) this.declareHealthSignal(signal);
    this.declareFailureBehaviour(
      postgresFailure({
        spec: this.spec,
        primarySite: primarySite(this.sites).name,
        standbySites,
        hasBackupStore: props.backupStore !== undefined,
      }),
    );

    if (props.backupStore) {
      new StolonBackup(this, 'backup', {
        store: props.backupStore,
        keepers: this.readOnly,
        replicationSecret: repl,
      });
    }
  }
}
