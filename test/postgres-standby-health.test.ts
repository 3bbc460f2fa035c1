/**
 * The standby that breaks silently, with the real PostgreSQL 15: a primary and a standby streaming
 * on the standby site's slot, both with the rendered configuration, and the health signals the
 * stolon component declares (charts/postgres/resilience.ts) evaluated with their own SQL. The
 * signals must be healthy while the standby streams and must fire when its slot is recreated empty
 * (as after a failover inside the primary site) or invalidated by max_slot_wal_keep_size, cases in
 * which nothing else notices. Rebuilding the standby (its base backup again, the runbook's way)
 * makes them healthy again.
 */
import type { HealthSignal } from '../charts/lib/resilience';
import { REPL_USERNAME, keeperHba, keeperManagedParameters, clusterSpec, specJson } from '../charts/postgres/spec';
import { renderSite } from '../pipeline/render';
import { PLATFORM, SITES } from '../sites';
import { tempDir } from './helpers';
import { PgCluster, freePort, withTestCertificate } from './pg-server';
import { baseBackup, startAsStandbyKeeper } from './stolon-keeper';

const REPL_PASSWORD = 'repl-health-password';
const primarySite = SITES.find((s) => s.database.role === 'primary')!;
const standbySite = SITES.find((s) => s.database.role === 'standby')!;
const signalsOf = (site: (typeof SITES)[number]): readonly HealthSignal[] =>
  renderSite(site, PLATFORM).components.find((c) => c.name === 'postgres')!.declarations.healthSignals;
const [standbySignal] = signalsOf(standbySite);
const [slotSignal] = signalsOf(primarySite);
const spec = JSON.parse(specJson(clusterSpec(primarySite, SITES))) as Parameters<typeof keeperHba>[0] & {
  pgParameters: Record<string, string>;
  maxStandbys: number;
  usePgrewind: boolean;
};
const slot = JSON.parse(specJson(clusterSpec(standbySite, SITES))).standbyConfig.standbySettings.primarySlotName as string;

const work = tempDir('pg-health-');
// Sizes scaled down so the test writes megabytes of WAL, not gigabytes; the mechanism is the same.
const parameters = withTestCertificate(
  {
    ...spec.pgParameters,
    ...keeperManagedParameters(spec),
    max_slot_wal_keep_size: '48MB',
    wal_keep_size: '16MB',
    min_wal_size: '32MB',
    max_wal_size: '64MB',
  },
  work.dir,
);
const hba = keeperHba(spec);
let primary: PgCluster;
let standby: PgCluster | undefined;

/** The signal's value, read with its own query, and whether the signal calls it unhealthy. */
function read(signal: HealthSignal, pg: PgCluster): { value: number; unhealthy: boolean } {
  expect(signal.source.kind).toBe('sql');
  const value = Number(pg.sql(signal.source.query));
  const { comparison, threshold } = signal.unhealthyWhen;
  return { value, unhealthy: comparison === 'below' ? value < threshold : value > threshold };
}

async function startStandby(): Promise<PgCluster> {
  const pg = new PgCluster('unused', { init: false });
  baseBackup(pg, primary, REPL_USERNAME, REPL_PASSWORD);
  startAsStandbyKeeper(
    pg,
    { parameters, hba, port: await freePort() },
    {
      primaryConninfo: `host=127.0.0.1 port=${primary.port} user=${REPL_USERNAME} password=${REPL_PASSWORD} application_name=${standbySite.name}`,
      primarySlotName: slot,
    },
  );
  return pg;
}

/** Writes about `mib` MiB of WAL on the primary, then ends the segment and checkpoints (WAL removal, slot invalidation). */
function writeWal(mib: number): void {
  primary.sql(`INSERT INTO filler SELECT g, repeat('x', 1000) FROM generate_series(1, ${mib * 1000}) g`);
  primary.sql('SELECT pg_switch_wal()');
  primary.sql('CHECKPOINT');
}

async function until<T>(what: string, get: () => T, ok: (v: T) => boolean, seconds = 30): Promise<T> {
  let last = get();
  for (let i = 0; i < seconds * 4 && !ok(last); i++) {
    await new Promise((r) => setTimeout(r, 250));
    last = get();
  }
  if (!ok(last)) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(last)}`);
  return last;
}

/**
 * Drops and recreates the standby site's slot empty, once the stopped standby's walsender has
 * released it: PostgreSQL refuses to drop an active slot, and the walsender notices the standby's
 * end only after pg_ctl's stop has returned.
 */
async function recreateSlotEmpty(): Promise<void> {
  const active = `SELECT active FROM pg_replication_slots WHERE slot_name = '${slot}'`;
  expect(await primary.waitFor(active, 'f')).toBe('f');
  primary.sql(`SELECT pg_drop_replication_slot('${slot}')`);
  primary.sql(`SELECT pg_create_physical_replication_slot('${slot}')`);
}

/** The number of times the standby's log says the primary refused it the WAL it asked for. */
const refusals = (pg: PgCluster, refusal: RegExp): number => pg.log().match(new RegExp(refusal.source, 'g'))?.length ?? 0;

/**
 * Waits until the primary has refused the standby's WAL request `times` times (the standby's
 * walreceiver retries every wal_retrieve_retry_interval): the standby really asked and was refused,
 * rather than not having asked yet.
 */
async function untilRefused(pg: PgCluster, refusal: RegExp, times: number): Promise<void> {
  await until(
    `the primary to refuse the standby ${times} time(s)`,
    () => refusals(pg, refusal),
    (n) => n >= times,
  );
}

/** Waits until the standby streams and the primary's slot reserves WAL for it: both signals healthy. */
async function untilHealthy(): Promise<void> {
  await until(
    'the standby streaming',
    () => read(standbySignal!, standby!),
    (s) => !s.unhealthy,
  );
  await until(
    'the slot reserving WAL',
    () => read(slotSignal!, primary),
    (s) => !s.unhealthy,
  );
}

beforeAll(async () => {
  primary = new PgCluster('su-test-password');
  const r = primary.start(parameters, hba, await freePort());
  if (r.status !== 0) throw new Error(primary.log());
  primary.sql(`CREATE ROLE ${REPL_USERNAME} WITH LOGIN REPLICATION PASSWORD '${REPL_PASSWORD}'`);
  primary.sql('CREATE TABLE filler (id int, pad text)');
  // As stolon creates the additional slot (cmd/keeper/cmd/keeper.go updateReplSlots): no WAL reserved yet.
  primary.sql(`SELECT pg_create_physical_replication_slot('${slot}')`);
}, 60_000);

afterAll(() => {
  standby?.destroy();
  primary?.destroy();
  work.cleanup();
});

it('declares a signal for the standby site and one per standby slot on the primary site', () => {
  expect(standbySignal).toMatchObject({
    name: 'PostgresStandbyNotStreaming',
    severity: 'critical',
    runbook: 'docs/runbooks/postgres-rebuild-standby.md',
  });
  expect(slotSignal).toMatchObject({ name: 'PostgresStandbySlotAtRisk', severity: 'critical' });
  expect(slotSignal!.source.query).toContain(`'${slot}'`);
});

it('is healthy while the standby streams on its slot (and a standby keeper of the primary site says so too)', async () => {
  standby = await startStandby();
  await untilHealthy();
  // Run on a keeper in recovery (a standby keeper of the primary site), the slot query answers healthy.
  expect(read(slotSignal!, standby)).toEqual({ value: 0, unhealthy: false });
}, 90_000);

it('fires when the slot is recreated empty, as a failover inside the primary site does, and WAL moves on', async () => {
  standby!.stop();
  await recreateSlotEmpty();
  expect(read(slotSignal!, primary)).toEqual({ value: 100, unhealthy: true });
  writeWal(40);
  if (standby!.startServer().status !== 0) throw new Error(`the standby did not start again:\n${standby!.log()}`);
  // The standby asks for WAL the primary no longer has: it stops streaming, and only the signal says so,
  // then and after its next attempt.
  const removed = /requested WAL segment \S+ has already been removed/;
  await untilRefused(standby!, removed, 1);
  expect(read(standbySignal!, standby!)).toEqual({ value: 0, unhealthy: true });
  await untilRefused(standby!, removed, 2);
  expect(read(standbySignal!, standby!)).toEqual({ value: 0, unhealthy: true });
}, 90_000);

it('fires when max_slot_wal_keep_size invalidates the slot during an outage, and the rebuilt standby is healthy', async () => {
  // Rebuild (the runbook's way: a new base backup), then the long outage.
  standby!.destroy();
  await recreateSlotEmpty();
  standby = await startStandby();
  await untilHealthy();
  standby.stop();
  writeWal(80);
  expect(primary.sql(`SELECT wal_status FROM pg_replication_slots WHERE slot_name = '${slot}'`)).toBe('lost');
  expect(read(slotSignal!, primary)).toEqual({ value: 100, unhealthy: true });
  if (standby.startServer().status !== 0) throw new Error(`the standby did not start again:\n${standby.log()}`);
  const refused = /requested WAL segment \S+ has already been removed|can no longer get changes from replication slot/;
  await untilRefused(standby, refused, 1);
  expect(read(standbySignal!, standby).unhealthy).toBe(true);
  await untilRefused(standby, refused, 2);
  expect(read(standbySignal!, standby).unhealthy).toBe(true);
}, 120_000);
