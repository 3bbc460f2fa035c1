import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BACKUP_SCRIPT } from '../charts/postgres/backup';
import { POSTGRES_MINOR, STOLON_COMMIT, STOLON_IMAGE } from '../charts/postgres/image';
import { keeperHba, keeperManagedParameters, POSTGRES_MAJOR, REPL_USERNAME, specJson, clusterSpec } from '../charts/postgres/spec';
import { renderSite, type KubeObject } from '../pipeline/render';
import { SITES, PLATFORM } from '../sites';
import { tempDir } from './helpers';
import { PG_BIN, PgCluster, freePort, withTestCertificate } from './pg-server';

/** The spec as rendered into git (the ConfigMap the sentinels and the update Job read). */
interface RenderedSpec {
  role: string;
  maxStandbys: number;
  usePgrewind: boolean;
  defaultSUReplAccessMode: string;
  additionalMasterReplicationSlots: string[];
  pgParameters: Record<string, string>;
  pgHBA: string[];
  standbyConfig?: { standbySettings: { primaryConnInfo: string; primarySlotName: string } };
  pitrConfig?: { dataRestoreCommand: string };
}

const rendered = new Map(SITES.map((s) => [s.name, renderSite(s, PLATFORM)]));

function postgresObjects(site: string): readonly KubeObject[] {
  return rendered.get(site)!.components.find((c) => c.name === 'postgres')!.objects;
}

function find(site: string, kind: string, name: string): KubeObject | undefined {
  return postgresObjects(site).find((o) => o.kind === kind && o.metadata.name === name);
}

function renderedSpec(site: string): RenderedSpec {
  const cm = find(site, 'ConfigMap', 'stolon-cluster-spec') as unknown as { data: Record<string, string> };
  return JSON.parse(cm.data['cluster-spec.json']!) as RenderedSpec;
}

/** libpq key=value connection string to a map (values here have no spaces or quotes). */
function connInfo(text: string): Record<string, string> {
  return Object.fromEntries(text.split(/\s+/).map((kv) => kv.split('=') as [string, string]));
}

describe('cross-site stolon', () => {
  const specs = SITES.map((s) => [s, renderedSpec(s.name)] as const);
  const masters = specs.filter(([, spec]) => spec.role === 'master');
  const standbys = specs.filter(([, spec]) => spec.role === 'standby');

  it('has exactly one master, on the site sites/ names primary (cluster2), and the others standby', () => {
    expect(masters.map(([s]) => s.name)).toEqual(['cluster2']);
    expect(standbys.map(([s]) => s.name)).toEqual(['cluster1']);
    for (const [site, spec] of specs) expect(spec.role === 'master').toBe(site.database.role === 'primary');
  });

  it('points every standby at the address the primary site exposes, on the slot the primary declares', () => {
    const [primary, primarySpec] = masters[0]!;
    const exposed = find(primary.name, 'Service', 'stolon-primary') as unknown as {
      metadata: { annotations: Record<string, string> };
      spec: { type: string; externalTrafficPolicy: string; ports: { port: number }[] };
    };
    const address = exposed.metadata.annotations['metallb.io/loadBalancerIPs'];
    expect(address).toBe(primary.loadBalancer.fixed.database);
    expect(exposed.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    for (const [site, spec] of standbys) {
      const settings = spec.standbyConfig!.standbySettings;
      const conn = connInfo(settings.primaryConnInfo);
      expect(conn.host).toBe(address);
      expect(Number(conn.port)).toBe(exposed.spec.ports[0]!.port);
      expect(conn.user).toBe(REPL_USERNAME);
      expect(settings.primarySlotName).toMatch(/^stolon_/);
      expect(primarySpec.additionalMasterReplicationSlots.map((s) => `stolon_${s}`)).toContain(settings.primarySlotName);
      expect(spec.pitrConfig!.dataRestoreCommand).toContain(`--host=${address} `);
      expect(find(site.name, 'Service', 'stolon-primary')).toBeUndefined();
    }
  });

  it('keeps passwords out of git: connection strings use a passfile, credentials come from Vault', () => {
    for (const site of SITES) {
      const text = JSON.stringify(postgresObjects(site.name));
      expect(text).not.toMatch(/password=/i);
      const secrets = postgresObjects(site.name).filter((o) => o.kind === 'ExternalSecret');
      // PostgreSQL's own credentials, plus the backup job's object store keys: all from Vault.
      expect(secrets.map((o) => o.metadata.name)).toEqual(expect.arrayContaining(['stolon-replication', 'stolon-superuser']));
      expect(postgresObjects(site.name).some((o) => o.kind === 'Secret')).toBe(false);
    }
  });

  it('declares the cross-site flows: the primary admits only the other sites’ nodes, standby keepers reach only the primary', () => {
    const primary = rendered.get('cluster2')!.components.find((c) => c.name === 'postgres')!;
    const ingress = primary.declarations.externalFlows.filter((f) => f.direction === 'ingress');
    expect(ingress).toHaveLength(1);
    expect([...ingress[0]!.cidrs]).toEqual(SITES.find((s) => s.name === 'cluster1')!.nodes.map((n) => `${n.address}/32`));
    expect(ingress[0]!.pods.serviceName).toBe('stolon-proxy');
    const standby = rendered.get('cluster1')!.components.find((c) => c.name === 'postgres')!;
    const egress = standby.declarations.externalFlows.filter(
      (f) => f.direction === 'egress' && f.pods.podLabels.component === 'stolon-keeper',
    );
    expect(egress.map((f) => [...f.cidrs])).toEqual([[`${SITES.find((s) => s.name === 'cluster2')!.loadBalancer.fixed.database}/32`]]);
  });

  it('gives the hot-standby-critical parameters the same value on every site', () => {
    for (const key of ['max_connections', 'max_worker_processes', 'max_prepared_transactions', 'max_locks_per_transaction']) {
      expect(new Set(specs.map(([, spec]) => spec.pgParameters[key])).size).toBe(1);
    }
    expect(new Set(specs.map(([, spec]) => spec.maxStandbys)).size).toBe(1);
  });

  it('renders the spec in git into the ConfigMap the sentinels and the update Job read', () => {
    for (const site of SITES) {
      const cm = find(site.name, 'ConfigMap', 'stolon-cluster-spec') as unknown as { data: Record<string, string> };
      expect(cm.data['cluster-spec.json']).toBe(specJson(clusterSpec(site, SITES)));
    }
  });

  it('gives stolon pods the labels and POD_NAME the kubernetes store requires', () => {
    for (const name of ['stolon-keeper', 'stolon-sentinel', 'stolon-proxy']) {
      const workload = postgresObjects('cluster1').find(
        (o) => o.metadata.name === name && o.kind !== 'Service' && o.kind !== 'PodDisruptionBudget',
      )!;
      const template = (
        workload as unknown as {
          spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { env: { name: string }[] }[] } } };
        }
      ).spec.template;
      expect(template.metadata.labels).toMatchObject({ component: name, 'stolon-cluster': 'chatalk' });
      expect(template.spec.containers[0]!.env.map((e) => e.name)).toContain('POD_NAME');
    }
  });
});

describe('the rendered PostgreSQL configuration on a real PostgreSQL', () => {
  const certificates = tempDir('pg-certificates-');
  afterAll(certificates.cleanup);
  let pg: PgCluster;
  beforeAll(() => {
    pg = new PgCluster('su-test-password');
  });
  afterAll(() => pg?.destroy());
  afterEach(() => pg.stop());

  function configOf(site: string): { parameters: Record<string, string>; hba: string[] } {
    const spec = renderedSpec(site);
    return {
      parameters: withTestCertificate({ ...spec.pgParameters, ...keeperManagedParameters(spec) }, certificates.dir),
      hba: keeperHba(spec),
    };
  }

  it.each(SITES.map((s) => s.name))('starts with site %s’s pgParameters and pg_hba rules and reports them back', async (site) => {
    const { parameters, hba } = configOf(site);
    const r = pg.start(parameters, hba, await freePort());
    if (r.status !== 0) throw new Error(`PostgreSQL refused the rendered configuration:\n${pg.log()}`);
    for (const key of Object.keys(renderedSpec(site).pgParameters)) expect([key, pg.sql(`SHOW ${key}`)]).toEqual([key, parameters[key]]);
    expect(pg.sql('SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL')).toBe('0');
    expect(Number(pg.sql('SELECT count(*) FROM pg_hba_file_rules'))).toBe(hba.length);
    expect(pg.sql('SELECT count(*) FROM pg_file_settings WHERE error IS NOT NULL')).toBe('0');
  });

  it.each<[string, (c: { parameters: Record<string, string>; hba: string[] }) => void, RegExp]>([
    ['a wrong value', (c) => (c.parameters.shared_buffers = 'plenty'), /invalid value for parameter "shared_buffers"/],
    ['a misspelt parameter', (c) => (c.parameters.max_conections = '100'), /unrecognized configuration parameter "max_conections"/],
    ['a broken pg_hba rule', (c) => c.hba.push('host all all 10.233.64.0/33 scram-sha-256'), /pg_hba\.conf/],
  ])('refuses to start with %s', async (_what, breakIt, expected) => {
    const config = configOf('cluster2');
    breakIt(config);
    const r = pg.start(config.parameters, config.hba, await freePort());
    expect(r.status).not.toBe(0);
    expect(pg.log()).toMatch(expected);
  });
});

describe('the backup script against a real PostgreSQL and rclone', () => {
  let pg: PgCluster;
  let store: { dir: string; cleanup: () => void };
  beforeAll(() => {
    pg = new PgCluster('su-test-password');
    store = tempDir('backup-store-');
  });
  afterAll(() => {
    pg?.destroy();
    store?.cleanup();
  });

  it('stores a base backup and prunes only backups past retention', async () => {
    const spec = renderedSpec('cluster2');
    const r = pg.start(
      withTestCertificate({ ...spec.pgParameters, ...keeperManagedParameters(spec) }, store.dir),
      keeperHba(spec),
      await freePort(),
    );
    if (r.status !== 0) throw new Error(pg.log());
    // A password pgpass must escape, as Vault may hold one.
    const password = 'repl:pa\\ss';
    pg.sql(`CREATE ROLE ${REPL_USERNAME} WITH LOGIN REPLICATION PASSWORD '${password}'`);
    pg.sql('CREATE TABLE canary AS SELECT 42 AS answer');
    const secretFile = path.join(store.dir, 'repl-password');
    fs.writeFileSync(secretFile, password);
    const scratch = path.join(store.dir, 'scratch');
    fs.mkdirSync(scratch);
    const site = path.join(store.dir, 'bucket', 'cluster2');
    const old = path.join(site, '20000101T000000Z');
    fs.mkdirSync(old, { recursive: true });
    fs.writeFileSync(path.join(old, 'base.tar.gz'), 'old');
    const longAgo = new Date(Date.UTC(2000, 0, 1));
    fs.utimesSync(path.join(old, 'base.tar.gz'), longAgo, longAgo);

    const run = spawnSync('bash', ['-c', BACKUP_SCRIPT], {
      cwd: store.dir,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        PATH: `${PG_BIN}:${process.env.PATH}`,
        HOME: store.dir,
        SITE: 'cluster2',
        PGHOST: '127.0.0.1',
        PGPORT: String(pg.port),
        PGUSER: REPL_USERNAME,
        REPL_PASSWORD_FILE: secretFile,
        SCRATCH: scratch,
        BUCKET: 'bucket',
        RETENTION_DAYS: '14',
        // The same remote name as the CronJob, on a local directory instead of S3.
        RCLONE_CONFIG_STORE_TYPE: 'local',
      },
    });
    if (run.status !== 0) throw new Error(`backup failed:\n${run.stdout}\n${run.stderr}`);
    const stored = fs.readdirSync(site);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(/^\d{8}T\d{6}Z$/);
    const backup = path.join(site, stored[0]!);
    expect(fs.readdirSync(backup).sort()).toEqual(['backup_manifest', 'base.tar.gz', 'pg_wal.tar.gz']);
    expect(fs.readdirSync(scratch).filter((f) => !f.startsWith('.'))).toEqual([]);

    // The restore of such a backup, as the runbook does it: test/postgres-restore.test.ts.
  });
});

describe('the stolon image', () => {
  it('is built from the Dockerfile in docs/ with the versions the charts name', () => {
    const dockerfile = fs.readFileSync(path.join(__dirname, '..', 'docs', 'postgres', 'stolon-image', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`ARG PG_MINOR=${POSTGRES_MINOR}\n`);
    expect(dockerfile).toContain(`ARG STOLON_COMMIT=${STOLON_COMMIT}\n`);
    expect(dockerfile).toContain(STOLON_IMAGE);
    expect(POSTGRES_MINOR.startsWith(`${POSTGRES_MAJOR}.`)).toBe(true);
    expect(fs.existsSync(`${PG_BIN}/postgres`)).toBe(true);
  });
});
