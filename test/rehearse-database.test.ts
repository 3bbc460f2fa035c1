/**
 * Rehearsal of the database: a PostgreSQL 15 primary and a standby from the rendered stolon specs
 * (parameters, pg_hba, TLS, the standby's base backup, its rendered primary_conninfo with
 * verify-full and its slot), the standby reaching the primary through a relay standing in for the
 * link between the sites. Each failure the report covers on this path is injected (the link cut,
 * the standby site lost, the primary stopped) and each site's database is asked for a read and a
 * write; then the standby is promoted as the runbook does, and the report of the promoted model
 * is checked the same way. A broken rendered setting (the standby's slot) is caught.
 */
import { PLATFORM, SITES, type PlatformModel } from '../sites';
import { tempDir, withChange } from './helpers';
import type { PgCluster } from './pg-server';
import { ReplicatedPair, primarySite, standbySettings as settings, standbySite } from './postgres-link';
import { outcomeTitled, predictedState, predictions, Rehearsal, type Observed } from './rehearsal';
import { LinkRelay } from './link-relay';

const REPL_PASSWORD = 'repl-rehearsal-password';
const outcomes = predictions(PLATFORM);

const work = tempDir('rehearse-db-');
const pair = new ReplicatedPair(work.dir, REPL_PASSWORD);
const rehearsal = new Rehearsal('database');
let primary: PgCluster;
let standby: PgCluster;
let relay: LinkRelay;
let written = 0;

/** A standby initialised from the primary with the rendered settings (`slot` to break it on purpose). */
const startStandby = (slot?: string) => pair.startStandby(relay.port, slot);

/** What a client of this database gets: writes, only reads, or nothing. */
function observe(pg: PgCluster): Observed {
  try {
    pg.sql('SELECT count(*) FROM rehearsal');
  } catch {
    return 'nothing';
  }
  try {
    pg.sql(`INSERT INTO rehearsal VALUES (${-1 - written++})`);
    return 'serves';
  } catch (err) {
    if (/read-only transaction/.test((err as Error).message)) return 'reads only';
    throw err;
  }
}

/** Writes a new row on the primary; whether the standby reads it within `seconds`. */
async function replicated(to: PgCluster, seconds: number): Promise<'yes' | 'no'> {
  const n = ++written;
  primary.sql(`INSERT INTO rehearsal VALUES (${n})`);
  return (await to.waitFor(`SELECT count(*) FROM rehearsal WHERE n = ${n}`, '1', seconds)) === '1' ? 'yes' : 'no';
}

beforeAll(async () => {
  primary = await pair.startPrimary('rehearsal');
  relay = await LinkRelay.start([primary.port]);
  standby = await startStandby();
}, 90_000);

afterAll(async () => {
  rehearsal.save();
  await relay?.close();
  pair.destroy();
  work.cleanup();
});

it('streams over TLS with the rendered primary_conninfo: a write on the primary is read on the standby', async () => {
  rehearsal.fact('none', `write on ${primarySite.name} read on ${standbySite.name}`, 'yes', await replicated(standby, 30));
  expect(
    primary.sql(`SELECT s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) WHERE r.application_name = '${standbySite.name}'`),
  ).toBe('t');
  expect(rehearsal.disagreements()).toEqual([]);
}, 60_000);

/** The standby's last WAL position received and flushed (pg_last_wal_receive_lsn). */
const receivedLsn = () => standby.sql('SELECT pg_last_wal_receive_lsn()');
/** Whether the standby has received the primary's WAL up to `lsn`. */
const receivedUpTo = (lsn: string) => `SELECT pg_last_wal_receive_lsn() >= '${lsn}'::pg_lsn`;

it('keeps writes on the primary and reads on the standby while the link is cut, and catches up after', async () => {
  const o = outcomeTitled(outcomes, 'the link between the sites');
  const senders = `SELECT count(*) FROM pg_stat_replication WHERE application_name = '${standbySite.name}'`;
  const receivers = "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'";
  expect(await primary.waitFor(senders, '1', 30)).toBe('1');
  relay.cut();
  // Once neither end streams (the primary's WAL sender and the standby's receiver gone; the
  // receiver flushes what it got before it ends), only a new connection could bring WAL.
  const stopped = (await primary.waitFor(senders, '0', 30)) === '0' && (await standby.waitFor(receivers, '0', 30)) === '0';
  rehearsal.fact(o.title, `${primarySite.name} streams WAL to ${standbySite.name}`, 'no', stopped ? 'no' : 'yes');
  const before = receivedLsn();
  rehearsal.component(o.title, `${primarySite.name}/postgres`, predictedState(o, primarySite.name, 'postgres'), observe(primary));
  rehearsal.component(o.title, `${standbySite.name}/postgres`, predictedState(o, standbySite.name, 'postgres'), observe(standby));
  rehearsal.fact(o.title, `write on ${primarySite.name} read on ${standbySite.name}`, 'no', await replicated(standby, 3));
  const primaryDuringCut = primary.sql('SELECT pg_current_wal_lsn()');
  // The primary wrote past what the standby had: its receive position did not move with it.
  expect(primary.sql(`SELECT '${primaryDuringCut}'::pg_lsn > '${before}'::pg_lsn`)).toBe('t');
  rehearsal.fact(o.title, `${standbySite.name} receive LSN moves`, 'no', receivedLsn() === before ? 'no' : 'yes');
  relay.restore();
  // The slot kept the WAL (charts/postgres/resilience.ts: resumes if the slot still holds it).
  rehearsal.fact('link restored', `write on ${primarySite.name} read on ${standbySite.name}`, 'yes', await replicated(standby, 60));
  const primaryAfter = primary.sql('SELECT pg_current_wal_lsn()');
  rehearsal.fact(
    'link restored',
    `${standbySite.name} receive LSN reaches ${primarySite.name}'s`,
    'yes',
    (await standby.waitFor(receivedUpTo(primaryAfter), 't', 60)) === 't' ? 'yes' : 'no',
  );
  expect(rehearsal.disagreements()).toEqual([]);
}, 180_000);

it('keeps the primary writing when the standby site is lost', async () => {
  const o = outcomeTitled(outcomes, `site ${standbySite.name}`);
  standby.stop();
  rehearsal.component(o.title, `${primarySite.name}/postgres`, predictedState(o, primarySite.name, 'postgres'), observe(primary));
  const r = standby.startServer();
  if (r.status !== 0) throw new Error(standby.log());
  rehearsal.fact(
    `${standbySite.name} back`,
    `write on ${primarySite.name} read on ${standbySite.name}`,
    'yes',
    await replicated(standby, 60),
  );
  expect(rehearsal.disagreements()).toEqual([]);
}, 120_000);

it('catches a broken rendered setting: a standby on a slot the primary does not have never receives the write', async () => {
  const broken = new Rehearsal('database-broken');
  const wrong = await startStandby(`${settings.primarySlotName}_broken`);
  broken.fact('none', `write on ${primarySite.name} read on ${standbySite.name}`, 'yes', await replicated(wrong, 5));
  expect(broken.disagreements().map((r) => [r.predicted, r.observed])).toEqual([['yes', 'no']]);
  wrong.stop();
}, 90_000);

it('serves reads and refuses writes on the standby site when the primary stops (seed 000), until promotion', async () => {
  primary.stop();
  for (const title of [`the primary database (${primarySite.name})`, `site ${primarySite.name}`]) {
    const o = outcomeTitled(outcomes, title);
    rehearsal.component(o.title, `${standbySite.name}/postgres`, predictedState(o, standbySite.name, 'postgres'), observe(standby));
    if (o.failure.kind === 'database-primary')
      rehearsal.component(o.title, `${primarySite.name}/postgres`, predictedState(o, primarySite.name, 'postgres'), observe(primary));
  }
  // docs/runbooks/postgres-promotion.md: the one-line promotion in sites/; the keeper then promotes
  // its PostgreSQL (stolon's keeper runs pg_ctl promote when its role becomes master).
  const promoted: PlatformModel = {
    ...PLATFORM,
    sites: SITES.map((s) => withChange(s, (d) => ((d.database as { role: string }).role = s === standbySite ? 'primary' : 'standby'))),
  };
  const after = outcomeTitled(predictions(promoted), `site ${primarySite.name}`);
  standby.sql('SELECT pg_promote()');
  expect(await standby.waitFor('SELECT pg_is_in_recovery()', 'f')).toBe('f');
  rehearsal.component(
    `promoted, ${after.title}`,
    `${standbySite.name}/postgres`,
    predictedState(after, standbySite.name, 'postgres'),
    observe(standby),
  );
  expect(after.database.writes).toEqual([standbySite.name]);
  expect(rehearsal.disagreements()).toEqual([]);
}, 90_000);
