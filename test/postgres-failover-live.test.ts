/**
 * The promotion and failback runbooks (docs/runbooks/postgres-promotion.md, postgres-failback.md)
 * run step by step on the real PostgreSQL 15, each site's server configured from the cluster spec
 * the repo renders for the model of that step: the seed's (cluster2 primary), the promoted one
 * (the runbook's change of the roles in sites/), and the seed's again after the failback. The link
 * between the sites is a relay on loopback; addresses, passfile and CA are remapped to the test's.
 *
 * stolon is not run (no package): what its keeper does is reproduced from sorintlab/stolon@bcea7a75
 * (test/stolon-keeper.ts): the `pitr` init of a standby site (dataRestoreCommand, then the standby
 * start with the spec's primaryConnInfo and slot), the slots of a cluster's master db
 * (`updateReplSlots` from additionalMasterReplicationSlots, also on a standby cluster), and the
 * promotion of a keeper whose role becomes master (`pg_ctl promote`, postgresql.conf rewritten).
 * Its sentinel, store and update Job (test/stolon-update.test.ts) are not. stolon refuses to turn
 * a master into a standby (keeper.go "cannot move from master role to standby role",
 * internal/cluster/cluster.go `UpdateSpec`); the test shows forcing it would not help either. Everything else is PostgreSQL's own behaviour: streaming over
 * TLS, slots, the timeline fork at promotion, pg_basebackup.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HealthSignal } from '../charts/lib/resilience';
import { STOLON_OBJECTS } from '../charts/postgres/names';
import { SPEC_FILE } from '../charts/postgres/pods';
import { PG_PORT, REPL_PASSFILE, REPL_USERNAME, SU_USERNAME, keeperHba, keeperManagedParameters } from '../charts/postgres/spec';
import { VERIFY_FULL } from '../charts/postgres/tls';
import { renderSite } from '../pipeline/render';
import { PLATFORM, type PlatformModel } from '../sites';
import { tempDir, withChange } from './helpers';
import { PG_BIN, PgCluster, freePort, withTestCertificate } from './pg-server';
import {
  promoteKeeper,
  refreshReplicationSlots,
  startAsStandbyKeeper,
  stolonPitrInit,
  type PitrConfig,
  type RenderedSpec,
} from './stolon-keeper';
import { LinkRelay } from './link-relay';

const SU_PASSWORD = 'su-test-password';
const REPL_PASSWORD = 'repl-failover-password';
const seedPrimary = PLATFORM.sites.find((s) => s.database.role === 'primary')!;
const seedStandby = PLATFORM.sites.find((s) => s.database.role === 'standby')!;

/** The model after the runbook's change of the roles in sites/: `name` the primary, every other site a standby. */
const withPrimary = (name: string): PlatformModel => ({
  ...PLATFORM,
  sites: PLATFORM.sites.map((s) => withChange(s, (d) => ((d.database as { role: string }).role = s.name === name ? 'primary' : 'standby'))),
});

/** What a site's postgres component renders in a model: cluster-spec.json of the spec ConfigMap, and its health signals. */
function rendered(model: PlatformModel, site: { name: string }): { spec: RenderedSpec; signals: readonly HealthSignal[] } {
  const postgres = renderSite(
    model.sites.find((s) => s.name === site.name)!,
    model,
  ).components.find((c) => c.name === 'postgres')!;
  const cm = postgres.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === STOLON_OBJECTS.clusterSpec) as unknown as {
    data: Record<string, string>;
  };
  return { spec: JSON.parse(cm.data[SPEC_FILE]!) as RenderedSpec, signals: postgres.declarations.healthSignals };
}

const SEED = { primary: rendered(PLATFORM, seedPrimary), standby: rendered(PLATFORM, seedStandby) };
const PROMOTED_MODEL = withPrimary(seedStandby.name);
const PROMOTED = { primary: rendered(PROMOTED_MODEL, seedStandby), standby: rendered(PROMOTED_MODEL, seedPrimary) };

const work = tempDir('pg-failover-');
const passfile = path.join(work.dir, 'pgpass');
const servers: PgCluster[] = [];
const relays: LinkRelay[] = [];
/** The database of the seed's primary site (cluster2) and of its standby site (cluster1). */
let c2: PgCluster;
let c1: PgCluster;
let written = 0;
/** Rows written on cluster1 while it was the primary. */
const writtenOnC1: number[] = [];
let diverged = 0;

const parametersOf = (spec: RenderedSpec) => withTestCertificate({ ...spec.pgParameters, ...keeperManagedParameters(spec) }, work.dir);
const configOf = (spec: RenderedSpec, port: number) => ({ parameters: parametersOf(spec), hba: keeperHba(spec), port });

/**
 * Rendered text with the primary site's exposed address replaced by a loopback port, and the pod's
 * passfile and CA by the test's. Only that site's address: a spec dialling another one dials nowhere.
 */
function onLoopback(text: string, primary: { loadBalancer: { fixed: { database: string } } }, port: number): string {
  const address = primary.loadBalancer.fixed.database;
  return text
    .replaceAll(`host=${address} port=${PG_PORT}`, `host=127.0.0.1 port=${port}`)
    .replaceAll(`--host=${address} --port=${PG_PORT}`, `--host=127.0.0.1 --port=${port}`)
    .replaceAll(REPL_PASSFILE, passfile)
    .replaceAll(VERIFY_FULL.sslrootcert, path.join(work.dir, 'ca', 'test-ca.crt'));
}

/** The recovery settings a standby keeper of `spec` writes, on loopback. */
function standbySettings(spec: RenderedSpec, primary: typeof seedPrimary, link: LinkRelay) {
  const settings = spec.standbyConfig!.standbySettings;
  return { primaryConninfo: onLoopback(settings.primaryConnInfo, primary, link.port), primarySlotName: settings.primarySlotName };
}

/** A relay to `pg`'s port: the other site reaching this site's exposed address. */
async function linkTo(pg: PgCluster): Promise<LinkRelay> {
  const relay = await LinkRelay.start([pg.port]);
  relays.push(relay);
  return relay;
}

/**
 * A standby site initialised as its keeper0 does from an empty store with `spec` (initMode pitr):
 * the rendered dataRestoreCommand (pg_basebackup over TLS), the instance stopped, then started as
 * a standby with the spec's primaryConnInfo and slot, through the link; then the slots of the
 * cluster's master db. The base backup dials the primary's own port: it runs synchronously, and
 * the relay, in this process, would not relay meanwhile.
 */
async function initStandbySite(spec: RenderedSpec, primary: typeof seedPrimary, from: PgCluster, link: LinkRelay): Promise<PgCluster> {
  expect(spec).toMatchObject({ role: 'standby', initMode: 'pitr' });
  const pg = new PgCluster('unused', { init: false });
  servers.push(pg);
  const config = configOf(spec, await freePort());
  const pitr = JSON.parse(onLoopback(JSON.stringify(spec.pitrConfig), primary, from.port)) as PitrConfig;
  const standby = standbySettings(spec, primary, link);
  const init = await stolonPitrInit(pg, pitr, config, { PATH: `${PG_BIN}:${process.env.PATH}` }, { standby });
  if (!init.started) throw new Error(`the pitr init did not start:\n${pg.log()}`);
  pg.stop();
  startAsStandbyKeeper(pg, config, standby);
  refreshReplicationSlots(pg, spec);
  return pg;
}

/** Writes a new row on `pg` (a client's write); returns its key. */
function write(pg: PgCluster, site: string): number {
  const n = ++written;
  pg.sql(`INSERT INTO ledger VALUES (${n}, '${site}')`);
  return n;
}

const has = (pg: PgCluster, n: number) => pg.sql(`SELECT count(*) FROM ledger WHERE n = ${n}`) === '1';
/** Whether `pg` reads row `n` within a generous bound (replication is asynchronous). */
const reads = async (pg: PgCluster, n: number) => (await pg.waitFor(`SELECT count(*) FROM ledger WHERE n = ${n}`, '1', 60)) === '1';
const slotState = (pg: PgCluster, slot: string) =>
  pg.sql(`SELECT active || ' ' || coalesce(wal_status, 'none') FROM pg_replication_slots WHERE slot_name = '${slot}'`);

/** A health signal's value read with its own SQL, and whether it calls that unhealthy. */
function healthy(signals: readonly HealthSignal[], name: string, pg: PgCluster): boolean {
  const signal = signals.find((s) => s.name === name)!;
  expect(signal.source.kind).toBe('sql');
  const value = Number(pg.sql(signal.source.query));
  const { comparison, threshold } = signal.unhealthyWhen;
  return comparison === 'below' ? value >= threshold : value <= threshold;
}

async function until(what: string, check: () => boolean, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`gave up waiting for ${what}`);
}

beforeAll(async () => {
  fs.chmodSync(work.dir, 0o755);
  fs.writeFileSync(passfile, `*:*:*:${REPL_USERNAME}:${REPL_PASSWORD}\n`, { mode: 0o600 });
  if (process.getuid?.() === 0) spawnSync('chown', ['postgres:postgres', passfile]);
  c2 = new PgCluster(SU_PASSWORD);
  servers.push(c2);
  const r = c2.start(parametersOf(SEED.primary.spec), keeperHba(SEED.primary.spec), await freePort());
  if (r.status !== 0) throw new Error(c2.log());
  c2.sql(`CREATE ROLE ${REPL_USERNAME} WITH LOGIN REPLICATION PASSWORD '${REPL_PASSWORD}'`);
  c2.sql('CREATE TABLE ledger (n int PRIMARY KEY, written_on text)');
  refreshReplicationSlots(c2, SEED.primary.spec);
  c1 = await initStandbySite(SEED.standby.spec, seedPrimary, c2, await linkTo(c2));
}, 90_000);

afterAll(async () => {
  for (const relay of relays) await relay.close();
  for (const pg of servers) pg.destroy();
  work.cleanup();
});

it(`promotes ${seedStandby.name} per the promoted model once ${seedPrimary.name}'s primary is lost: writes succeed there, what the link had not carried is lost`, async () => {
  expect(await reads(c1, write(c2, seedPrimary.name))).toBe(true);
  // The standby cluster's master db already holds the slot the old primary will stream from.
  const slotForOldPrimary = PROMOTED.standby.spec.standbyConfig!.standbySettings.primarySlotName;
  expect(slotState(c1, slotForOldPrimary)).toBe('false none');
  // The link falls, the primary commits once more, then its site is lost.
  relays[0]!.cut();
  diverged = write(c2, seedPrimary.name);
  c2.stop();

  // The promoted model renders what the runbook's table says.
  expect(PROMOTED.primary.spec).toMatchObject({ role: 'master', initMode: 'new' });
  expect(PROMOTED.primary.spec.standbyConfig).toBeUndefined();
  expect(PROMOTED.primary.spec.pitrConfig).toBeUndefined();
  expect(PROMOTED.standby.spec.standbyConfig!.standbySettings.primaryConnInfo).toContain(
    `host=${seedStandby.loadBalancer.fixed.database} `,
  );
  expect(PROMOTED.primary.spec.additionalMasterReplicationSlots.map((s) => `stolon_${s}`)).toContain(slotForOldPrimary);

  promoteKeeper(c1, PROMOTED.primary.spec, configOf(PROMOTED.primary.spec, c1.port));
  expect(c1.sql('SELECT pg_is_in_recovery()')).toBe('f');
  writtenOnC1.push(write(c1, seedStandby.name));
  expect(has(c1, writtenOnC1[0]!)).toBe(true);
  expect(has(c1, diverged)).toBe(false);
  expect(slotState(c1, slotForOldPrimary)).toBe('false none');
}, 60_000);

it(`finds ${seedPrimary.name}'s old master writable when it comes back, and, restarted as a standby of ${seedStandby.name}, not streaming: it must be rebuilt`, async () => {
  // Its keeper, with the old spec in its store, starts it as a master: the runbook's dump has the diverged commit.
  if (c2.startServer().status !== 0) throw new Error(c2.log());
  const dump = spawnSync(`${PG_BIN}/pg_dumpall`, ['-h', '127.0.0.1', '-p', String(c2.port), '-U', SU_USERNAME], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: SU_PASSWORD },
    timeout: 30_000,
  });
  expect(dump.status).toBe(0);
  expect(dump.stdout).toMatch(new RegExp(`^${diverged}\\t${seedPrimary.name}$`, 'm'));
  const cameBackWrite = write(c2, seedPrimary.name);
  expect(has(c2, cameBackWrite)).toBe(true);
  c2.stop();

  // Forced into a standby of the new primary, with the promoted spec's recovery settings.
  const link = await linkTo(c1);
  startAsStandbyKeeper(c2, configOf(PROMOTED.standby.spec, c2.port), standbySettings(PROMOTED.standby.spec, seedStandby, link));
  const after = write(c1, seedStandby.name);
  writtenOnC1.push(after);
  const fork = /forked off current database system timeline|is not in this server's history/g;
  // Refused as soon as it learns the new timeline, and again each time it retries.
  await until('the old master to be refused twice', () => (c2.log().match(fork)?.length ?? 0) >= 2);
  expect(has(c2, after)).toBe(false);
  expect(has(c2, diverged)).toBe(true);
  // Meanwhile it took the slot on the new primary, which now holds its position on the diverged timeline.
  const position = c2.sql('SELECT pg_last_wal_replay_lsn()');
  const slot = PROMOTED.standby.spec.standbyConfig!.standbySettings.primarySlotName;
  await until(
    'the slot to hold the old master’s position, reserved',
    () =>
      c1.sql(`SELECT restart_lsn || ' ' || wal_status FROM pg_replication_slots WHERE slot_name = '${slot}'`) === `${position} reserved`,
  );
  c2.stop();
}, 90_000);

it(`rebuilds ${seedPrimary.name} from ${seedStandby.name} with the promoted spec (pg_basebackup, its slot): it streams, both health signals are healthy`, async () => {
  const slot = PROMOTED.standby.spec.standbyConfig!.standbySettings.primarySlotName;
  await until('the slot to be released', () => slotState(c1, slot).startsWith('false'));
  // Runbook step 1.3: the slot dropped whatever it holds; the keeper's next check recreates it empty.
  c1.sql(`SELECT pg_drop_replication_slot('${slot}')`);
  refreshReplicationSlots(c1, PROMOTED.primary.spec);
  expect(slotState(c1, slot)).toBe('false none');
  c2.destroy();
  c2 = await initStandbySite(PROMOTED.standby.spec, seedStandby, c1, relays[1]!);
  const n = write(c1, seedStandby.name);
  writtenOnC1.push(n);
  expect(await reads(c2, n)).toBe(true);
  expect(has(c2, diverged)).toBe(false);
  expect(
    await c1.waitFor(`SELECT active || ' ' || wal_status FROM pg_replication_slots WHERE slot_name = '${slot}'`, 'true reserved'),
  ).toBe('true reserved');
  expect(
    c1.sql(`SELECT s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) WHERE r.application_name = '${seedPrimary.name}'`),
  ).toBe('t');
  await until('the standby site healthy', () => healthy(PROMOTED.standby.signals, 'PostgresStandbyNotStreaming', c2));
  expect(healthy(PROMOTED.primary.signals, 'PostgresStandbySlotAtRisk', c1)).toBe(true);
  // The rebuilt standby cluster's master db holds the slot for the failback.
  expect(slotState(c2, SEED.standby.spec.standbyConfig!.standbySettings.primarySlotName)).toBe('false none');
}, 90_000);

it(`fails back: with writes stopped, ${seedPrimary.name} replays everything, is promoted per the seed's model, and ${seedStandby.name} rebuilt from it streams`, async () => {
  // Step 2: the positions are equal once the standby has replayed everything (asynchronous: wait for it).
  await until('the replay to reach the primary’s position', () => {
    const [current, replayed] = [c1.sql('SELECT pg_current_wal_lsn()'), c2.sql('SELECT pg_last_wal_replay_lsn()')];
    return current === replayed;
  });
  // Step 3: the seed's model again on the standby site; its keeper promotes.
  expect(SEED.primary.spec).toMatchObject({ role: 'master' });
  promoteKeeper(c2, SEED.primary.spec, configOf(SEED.primary.spec, c2.port));
  expect(c2.sql(`SELECT string_agg(n::text, ' ' ORDER BY n) FROM ledger WHERE written_on = '${seedStandby.name}'`)).toBe(
    writtenOnC1.join(' '),
  );
  const n = write(c2, seedPrimary.name);
  // Step 4: the other site rebuilt from it with the seed's spec (slot stolon_<standby site>).
  c1.destroy();
  c1 = await initStandbySite(SEED.standby.spec, seedPrimary, c2, await linkTo(c2));
  expect(has(c1, n)).toBe(true);
  const next = write(c2, seedPrimary.name);
  expect(await reads(c1, next)).toBe(true);
  const slot = SEED.standby.spec.standbyConfig!.standbySettings.primarySlotName;
  expect(
    await c2.waitFor(`SELECT active || ' ' || wal_status FROM pg_replication_slots WHERE slot_name = '${slot}'`, 'true reserved'),
  ).toBe('true reserved');
}, 90_000);
