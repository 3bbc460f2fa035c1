/**
 * The link between the sites stalls instead of closing (test/link-relay.ts: packets vanish,
 * no FIN or RST, both ends' sockets stay established): cluster2's PostgreSQL 15 primary and
 * cluster1's standby from the rendered specs (parameters, pg_hba, TLS, the standby's rendered
 * primary_conninfo and slot, as test/rehearse-database.test.ts derives them), the standby dialling
 * the primary through the relay. The rendered replication timeouts (`STALLED_LINK_TIMEOUTS`) are
 * scaled down ten times, as the edge tests scale HAProxy's checks: lower bounds on time only,
 * read from the servers' own log timestamps against their own last-message times.
 *
 * While the link holds: the primary takes writes, the standby serves reads of what it had; the
 * standby's receiver streams on until `wal_receiver_timeout` after its last message, ends, and
 * dials again, and that new connection waits (no timeout covers its setup); the primary's sender
 * ends `wal_sender_timeout` after the standby's last reply and the slot, inactive, keeps its WAL.
 * Once the link forwards again the waiting connection streams from the slot and the standby reads
 * every row committed during the stall.
 */
import type { HealthSignal } from '../charts/lib/resilience';
import { STALLED_LINK_TIMEOUTS, keeperManagedParameters } from '../charts/postgres/spec';
import { renderSite } from '../pipeline/render';
import { PLATFORM } from '../sites';
import { LinkRelay } from './link-relay';
import { tempDir } from './helpers';
import type { PgCluster } from './pg-server';
import { ReplicatedPair, primarySpec, standbySettings as settings, standbySite, standbySpec } from './postgres-link';
import type { RenderedSpec } from './stolon-keeper';

const [notStreaming] = renderSite(standbySite, PLATFORM).components.find((c) => c.name === 'postgres')!.declarations.healthSignals;
const REPL_PASSWORD = 'repl-stall-password';

/** How much shorter than rendered the replication timeouts run. */
const SCALE = 10;
type Timeout = keyof typeof STALLED_LINK_TIMEOUTS;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000 };
/** A rendered timeout (`1min`, `30s`) in ms; fails if the spec does not render it with a unit. */
function renderedMs(spec: RenderedSpec, name: Timeout): number {
  const m = /^(\d+)(ms|s|min)$/.exec(spec.pgParameters[name] ?? '');
  if (!m) throw new Error(`the rendered spec has no ${name} with a time unit: ${JSON.stringify(spec.pgParameters[name])}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}
const scaledMs = (spec: RenderedSpec, name: Timeout) => renderedMs(spec, name) / SCALE;

const work = tempDir('pg-stall-');
let primary: PgCluster;
let standby: PgCluster;
let link: LinkRelay;
let written = 0;

/** A keeper's parameters from the rendered spec, its replication timeouts scaled. */
function parametersOf(spec: RenderedSpec): Record<string, string> {
  const timeouts = Object.fromEntries(Object.keys(STALLED_LINK_TIMEOUTS).map((k) => [k, `${scaledMs(spec, k as Timeout)}ms`]));
  return { ...spec.pgParameters, ...keeperManagedParameters(spec), ...timeouts };
}
const pair = new ReplicatedPair(work.dir, REPL_PASSWORD, parametersOf);

/** The time (ms since the epoch) of the first line of `pg`'s log matching `message` after `from` lines, once it is written. */
async function logged(pg: PgCluster, message: string, from: number, what: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const line = pg
      .log()
      .split('\n')
      .slice(from)
      .find((l) => l.includes(message));
    // PostgreSQL's default log_line_prefix starts with %m: `2026-01-02 03:04:05.678 GMT`.
    const stamp = line && /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) GMT /.exec(line);
    if (stamp) return Date.parse(`${stamp[1]}T${stamp[2]}Z`);
    if (Date.now() > deadline) throw new Error(`no "${message}" (${what}) in the log:\n${pg.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const logLines = (pg: PgCluster) => pg.log().split('\n').length - 1;
/** A timestamp column in whole ms since the epoch, as the server reads it. */
const epochMs = (pg: PgCluster, query: string) => Number(pg.sql(`SELECT floor(extract(epoch FROM (${query})) * 1000)::bigint`));
/**
 * Allowed below a timeout: the log's stamps are cut to the ms, and the receiver's timeout runs from
 * its own read of the clock, microseconds before the time the view shows.
 */
const CLOCK_MS = 2;

/** The signal's value with its own SQL, and whether it calls that unhealthy. */
function signal(s: HealthSignal, pg: PgCluster): { value: number; unhealthy: boolean } {
  expect(s.source.kind).toBe('sql');
  const value = Number(pg.sql(s.source.query));
  return {
    value,
    unhealthy: s.unhealthyWhen.comparison === 'below' ? value < s.unhealthyWhen.threshold : value > s.unhealthyWhen.threshold,
  };
}

/**
 * Waits until the standby's receiver process is `ms` old and returns what it waits on then
 * (pg_stat_activity's wait_event; its setup's is LibPQWalReceiverConnect), or what it waited on
 * when it left its setup or ended before. `endedPid` is the receiver that streamed before the stall.
 */
async function receiverSetupAfter(ms: number, endedPid: string): Promise<string> {
  // The receiver the timeout ended may still be listed for a moment, in its main loop.
  const query = `SELECT coalesce(wait_event, '') || ' ' || (extract(epoch FROM now() - backend_start) * 1000)::bigint FROM pg_stat_activity WHERE backend_type = 'walreceiver' AND pid <> ${endedPid}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [waitEvent = '', age = '0'] = standby.sql(query).split(' ');
    if (waitEvent !== '' && waitEvent !== 'LibPQWalReceiverConnect') return waitEvent;
    if (waitEvent !== '' && Number(age) >= ms) return waitEvent;
    if (Date.now() > deadline) return `still ${JSON.stringify(waitEvent)} at ${age} ms`;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const senders = `SELECT count(*) FROM pg_stat_replication WHERE application_name = '${standbySite.name}' AND state = 'streaming'`;
const rows = () => Number(standby.sql('SELECT count(*) FROM ledger'));

beforeAll(async () => {
  primary = await pair.startPrimary('ledger');
  link = await LinkRelay.start([primary.port], 'blackhole');
  standby = await pair.startStandby(link.port);
}, 90_000);

afterAll(async () => {
  await link?.close();
  pair.destroy();
  work.cleanup();
});

it('streams through the link with the scaled timeouts', async () => {
  primary.sql(`INSERT INTO ledger VALUES (${++written})`);
  expect(await standby.waitFor('SELECT count(*) FROM ledger', String(written), 30)).toBe(String(written));
  expect(await primary.waitFor(senders, '1', 30)).toBe('1');
  expect(standby.sql('SHOW wal_receiver_timeout')).toBe(`${scaledMs(standbySpec, 'wal_receiver_timeout') / 1000}s`);
  expect(primary.sql('SHOW wal_sender_timeout')).toBe(`${scaledMs(primarySpec, 'wal_sender_timeout') / 1000}s`);
  expect(signal(notStreaming, standby).unhealthy).toBe(false);
}, 60_000);

describe('while the link stalls', () => {
  let standbyRows = 0;
  let slotBefore = '';

  it("each end notices after its timeout; the primary writes, the standby reads, the slot keeps the standby's WAL", async () => {
    standbyRows = rows();
    slotBefore = primary.sql(`SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '${settings.primarySlotName}'`);
    const [standbyLog, primaryLog] = [logLines(standby), logLines(primary)];
    // Each end's last message from the other, read just before the stall: each timeout runs from there or later.
    const lastReceived = epochMs(standby, 'SELECT last_msg_receipt_time FROM pg_stat_wal_receiver');
    const lastReply = epochMs(primary, `SELECT reply_time FROM pg_stat_replication WHERE application_name = '${standbySite.name}'`);
    const streamingReceiver = standby.sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'walreceiver'");
    expect(streamingReceiver).toMatch(/^\d+$/);
    link.stall();

    // Asynchronous replication: the primary commits without the standby; the standby reads what it had.
    for (let i = 0; i < 3; i++) primary.sql(`INSERT INTO ledger VALUES (${++written})`);
    expect(rows()).toBe(standbyRows);
    expect(() => standby.sql(`INSERT INTO ledger VALUES (0)`)).toThrow(/read-only transaction/);
    // Until its timeout the receiver still reports streaming: the declared signal cannot see the stall yet.
    const receiverEnded = await logged(standby, 'terminating walreceiver due to timeout', standbyLog, 'the receiver noticing');
    expect(receiverEnded - lastReceived).toBeGreaterThanOrEqual(scaledMs(standbySpec, 'wal_receiver_timeout') - CLOCK_MS);
    const senderEnded = await logged(
      primary,
      'terminating walsender process due to replication timeout',
      primaryLog,
      'the sender noticing',
    );
    expect(senderEnded - lastReply).toBeGreaterThanOrEqual(scaledMs(primarySpec, 'wal_sender_timeout') - CLOCK_MS);
    expect(await primary.waitFor(senders, '0', 10)).toBe('0');

    // The receiver dials again; the relay accepts and never answers. wal_receiver_timeout covers
    // only a streaming connection: the new receiver still waits in its setup past that timeout.
    expect(await receiverSetupAfter(scaledMs(standbySpec, 'wal_receiver_timeout'), streamingReceiver)).toBe('LibPQWalReceiverConnect');
    expect(link.heldUnanswered).toBe(1);
    expect(signal(notStreaming, standby)).toEqual({ value: 0, unhealthy: true });

    // The slot, inactive, stays where the standby was; its WAL is kept through checkpoints and segment switches.
    for (let i = 0; i < 3; i++) {
      primary.sql(`INSERT INTO ledger VALUES (${++written})`);
      primary.sql('SELECT pg_switch_wal()');
    }
    primary.sql('CHECKPOINT');
    const slot = `FROM pg_replication_slots WHERE slot_name = '${settings.primarySlotName}'`;
    expect(await primary.waitFor(`SELECT active || ' ' || restart_lsn || ' ' || wal_status ${slot}`, `false ${slotBefore} reserved`)).toBe(
      `false ${slotBefore} reserved`,
    );
    expect(primary.sql(`SELECT count(*) FROM pg_ls_waldir() WHERE name = (SELECT pg_walfile_name(restart_lsn) ${slot})`)).toBe('1');
    expect(rows()).toBe(standbyRows);
    expect(link.heldUnanswered).toBe(1);
  }, 120_000);

  it('once the link forwards again, the waiting connection streams from the slot and the standby has every row', async () => {
    const primaryAt = primary.sql('SELECT pg_current_wal_lsn()');
    const waitingReceiver = standby.sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'walreceiver'");
    expect(waitingReceiver).toMatch(/^\d+$/);
    link.restore();
    expect(await standby.waitFor('SELECT count(*) FROM ledger', String(written), 60)).toBe(String(written));
    expect(await standby.waitFor(`SELECT pg_last_wal_receive_lsn() >= '${primaryAt}'::pg_lsn`, 't', 60)).toBe('t');
    expect(await primary.waitFor(senders, '1', 30)).toBe('1');
    expect(signal(notStreaming, standby).unhealthy).toBe(false);
    expect(written - standbyRows).toBe(6);
    // The receiver that waited through the stall is the one streaming (a failed setup would have
    // ended it and started another).
    expect(standby.sql("SELECT pid FROM pg_stat_wal_receiver WHERE status = 'streaming'")).toBe(waitingReceiver);
  }, 120_000);
});
