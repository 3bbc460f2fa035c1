/**
 * The restore drill: a base backup taken exactly as the CronJob takes it (its script, its
 * environment, rclone), from the primary's keeper and from a standby keeper (the CronJob reads
 * through stolon-readonly, which reaches both), fetched and restored the way
 * docs/runbooks/postgres-restore.md says, through stolon's `pitr` init on PostgreSQL 15 (its
 * exact effect on the data directory, test/stolon-keeper.ts), must give a writable primary on a
 * new timeline with the data.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BACKUP_SCRIPT } from '../charts/postgres/backup';
import { KEEPER_DATA_DIR } from '../charts/postgres/pods';
import { RESTORE_SPEC_FILE } from '../charts/postgres/restore';
import { keeperHba, keeperManagedParameters, REPL_USERNAME, clusterSpec, specJson } from '../charts/postgres/spec';
import { renderSite } from '../pipeline/render';
import { PLATFORM, SITES } from '../sites';
import { tempDir } from './helpers';
import { PG_BIN, PgCluster, freePort, withTestCertificate } from './pg-server';
import { baseBackup, startAsStandbyKeeper, stolonPitrInit, type PitrConfig } from './stolon-keeper';

const REPL_PASSWORD = 'repl-test-password';
const primarySite = SITES.find((s) => s.database.role === 'primary')!;
const spec = JSON.parse(specJson(clusterSpec(primarySite, SITES))) as Parameters<typeof keeperHba>[0] & {
  pgParameters: Record<string, string>;
  maxStandbys: number;
  usePgrewind: boolean;
};
const hba = keeperHba(spec);

/** The restore spec the runbook gives `stolonctl init -f`, as rendered into git on the primary site. */
function renderedRestorePitr(): PitrConfig {
  const postgres = renderSite(primarySite, PLATFORM).components.find((c) => c.name === 'postgres')!;
  const cm = postgres.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'stolon-cluster-spec') as unknown as {
    data: Record<string, string>;
  };
  const restore = JSON.parse(cm.data[RESTORE_SPEC_FILE]!) as { role: string; initMode: string; pitrConfig: PitrConfig };
  expect(restore).toMatchObject({ role: 'master', initMode: 'pitr' });
  return restore.pitrConfig;
}

const store = tempDir('restore-drill-');
const parameters = withTestCertificate({ ...spec.pgParameters, ...keeperManagedParameters(spec) }, store.dir);
let primary: PgCluster;
let standby: PgCluster;

beforeAll(async () => {
  primary = new PgCluster('su-test-password');
  const r = primary.start(parameters, hba, await freePort());
  if (r.status !== 0) throw new Error(primary.log());
  primary.sql(`CREATE ROLE ${REPL_USERNAME} WITH LOGIN REPLICATION PASSWORD '${REPL_PASSWORD}'`);
  primary.sql('CREATE TABLE canary (answer int)');
  primary.sql('INSERT INTO canary VALUES (42)');
  standby = new PgCluster('unused', { init: false });
  baseBackup(standby, primary, REPL_USERNAME, REPL_PASSWORD);
  startAsStandbyKeeper(
    standby,
    { parameters, hba, port: await freePort() },
    { primaryConninfo: `host=127.0.0.1 port=${primary.port} user=${REPL_USERNAME} password=${REPL_PASSWORD} application_name=standby` },
  );
  primary.sql('INSERT INTO canary VALUES (43)');
  expect(await standby.waitFor('SELECT count(*) FROM canary', '2')).toBe('2');
}, 120_000);

afterAll(() => {
  standby?.destroy();
  primary?.destroy();
  store.cleanup();
});

/** Runs the CronJob's script against `source` (its env as the CronJob sets it; a local rclone remote). */
function backupFrom(source: PgCluster, name: string): string {
  const scratch = path.join(store.dir, `scratch-${name}`);
  fs.mkdirSync(scratch);
  const secret = path.join(store.dir, `repl-password-${name}`);
  fs.writeFileSync(secret, REPL_PASSWORD);
  const bucket = path.join(store.dir, `bucket-${name}`);
  const run = spawnSync('bash', ['-c', BACKUP_SCRIPT], {
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      PATH: `${PG_BIN}:${process.env.PATH}`,
      HOME: store.dir,
      SITE: primarySite.name,
      PGHOST: '127.0.0.1',
      PGPORT: String(source.port),
      PGUSER: REPL_USERNAME,
      REPL_PASSWORD_FILE: secret,
      SCRATCH: scratch,
      BUCKET: bucket,
      RETENTION_DAYS: '14',
      RCLONE_CONFIG_STORE_TYPE: 'local',
    },
  });
  if (run.status !== 0) throw new Error(`backup failed:\n${run.stdout}\n${run.stderr}`);
  const [stamp] = fs.readdirSync(path.join(bucket, primarySite.name));
  return `store:${bucket}/${primarySite.name}/${stamp!}`;
}

describe.each([
  ['the primary', () => primary, false],
  ['a standby keeper', () => standby, true],
])('a backup taken from %s', (what, source, carriesStandbySignal) => {
  it('restores through stolon’s pitr init into a writable primary on a new timeline', async () => {
    const backup = backupFrom(source(), what.replace(/\W+/g, '-'));
    // Why the restore command removes it: a standby's base backup carries its standby.signal.
    const listing = spawnSync('tar', ['-tzf', path.join(backup.replace(/^store:/, ''), 'base.tar.gz')], { encoding: 'utf8' }).stdout;
    expect(listing.split('\n').includes('standby.signal')).toBe(carriesStandbySignal);
    // Runbook, step 1 and 3: fetch with rclone, put the files in the keeper's volume.
    const keeper = new PgCluster('unused', { init: false });
    try {
      const volume = path.dirname(keeper.data);
      const restoreDir = path.join(volume, 'restore');
      const fetched = spawnSync('rclone', ['copy', backup, restoreDir], {
        encoding: 'utf8',
        env: { ...process.env, RCLONE_CONFIG_STORE_TYPE: 'local' },
      });
      expect(fetched.status).toBe(0);
      keeper.ownData();
      // The keeper's volume is /stolon-data (its PostgreSQL in /stolon-data/postgres); here, the test's.
      const pitr = JSON.parse(JSON.stringify(renderedRestorePitr()).replaceAll(KEEPER_DATA_DIR, volume)) as PitrConfig;
      const result = await stolonPitrInit(keeper, pitr, { parameters, hba, port: await freePort() }, {});
      if (!result.started) throw new Error(`PostgreSQL did not start:\n${keeper.log()}`);
      expect(result).toEqual({ started: true, recoveryDone: true });
      // PostgreSQL removes recovery.signal before its end-of-recovery checkpoint, and only then leaves
      // recovery: stolon's keeper, too, reads the state again before it reports the instance a master.
      expect(await keeper.waitFor('SELECT pg_is_in_recovery()', 'f', 30)).toBe('f');
      // The timeline is the first 8 hex digits of the WAL file name being written.
      expect(parseInt(keeper.sql('SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)'), 16)).toBeGreaterThan(1);
      keeper.sql('INSERT INTO canary VALUES (44)');
      expect(keeper.sql("SELECT string_agg(answer::text, ',' ORDER BY answer) FROM canary")).toBe('42,43,44');
    } finally {
      keeper.destroy();
    }
  }, 120_000);
});
