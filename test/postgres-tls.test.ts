/**
 * Replication between sites over TLS, with the real PostgreSQL 15: the primary's keeper runs the
 * rendered keeper script (passfile, certificate copy, reload loop) and the rendered TLS
 * parameters; the standby site initialises with the rendered `dataRestoreCommand`
 * (pg_basebackup, verify-full) and streams with the rendered `primaryConnInfo`. Certificates come
 * from a test CA in place of cert-manager's; addresses and paths are remapped to the test's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { keeperScript } from '../charts/postgres/keeper-script';
import { KEEPER_DATA_DIR } from '../charts/postgres/pods';
import { REPL_USERNAME, keeperHba, keeperManagedParameters } from '../charts/postgres/spec';
import { TLS_SECRET } from '../charts/postgres/tls';
import { TLS_RELOAD_INTERVAL_ENV } from '../charts/lib/tls-reload';
import { renderSite, type KubeObject } from '../pipeline/render';
import { PLATFORM, SITES } from '../sites';
import { tempDir } from './helpers';
import { PG_BIN, PgCluster, freePort } from './pg-server';
import { stolonPitrInit, type PitrConfig, type RenderedSpec } from './stolon-keeper';
import { issue, makeCa, type TestCa } from './tls-helpers';

const REPL_PASSWORD = 'repl:tls\\test';
const primarySite = SITES.find((s) => s.database.role === 'primary')!;
const standbySite = SITES.find((s) => s.database.role === 'standby')!;
const objects = (site: (typeof SITES)[number]) => renderSite(site, PLATFORM).components.find((c) => c.name === 'postgres')!.objects;
const specOf = (site: (typeof SITES)[number]): RenderedSpec => {
  const cm = objects(site).find((o) => o.metadata.name === 'stolon-cluster-spec') as unknown as { data: Record<string, string> };
  return JSON.parse(cm.data['cluster-spec.json']!) as RenderedSpec;
};
const primarySpec = specOf(primarySite);
const standbySpec = specOf(standbySite);
const exposed = primarySite.loadBalancer.fixed.database;

const work = tempDir('pg-tls-');
let ca: TestCa;
let primary: PgCluster;
let standby: PgCluster;
const keepers: ChildProcess[] = [];

/** A keeper's volumes on the test's disk: /etc/stolon (Secrets), /stolon-run (memory), /stolon-data. */
function keeperPaths(name: string) {
  const root = path.join(work.dir, name);
  return { root, etc: path.join(root, 'etc'), run: path.join(root, 'run'), volume: path.join(root, 'stolon-data') };
}

/** Rendered text with the pod's paths, the primary's address and port replaced by the test's. */
function remap(text: string, keeper: ReturnType<typeof keeperPaths>, port?: number): string {
  let out = text.replaceAll('/etc/stolon', keeper.etc).replaceAll('/stolon-run', keeper.run).replaceAll(KEEPER_DATA_DIR, keeper.volume);
  if (port !== undefined)
    out = out
      .replaceAll(`host=${exposed} port=5432`, `host=127.0.0.1 port=${port}`)
      .replaceAll(`--host=${exposed} --port=5432`, `--host=127.0.0.1 --port=${port}`);
  return out;
}

function chownToPostgres(dir: string): void {
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', dir]);
}

/** Runs the rendered keeper script (the reload loop stays in the background) with a stand-in for stolon-keeper. */
function runKeeperScript(keeper: ReturnType<typeof keeperPaths>, podName: string): ChildProcess {
  const bin = path.join(keeper.root, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  // What the script hands over to: here nothing, the test starts PostgreSQL itself.
  fs.writeFileSync(path.join(bin, 'stolon-keeper'), '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
  chownToPostgres(keeper.root);
  const env = {
    PATH: `${bin}:${PG_BIN}:${process.env.PATH}`,
    POD_NAME: podName,
    STKEEPER_PG_REPL_USERNAME: REPL_USERNAME,
    STKEEPER_DATA_DIR: keeper.volume,
    [TLS_RELOAD_INTERVAL_ENV]: '1',
  };
  const script = remap(keeperScript(), keeper);
  const [cmd, args] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', 'bash', '-c', script]] : ['bash', ['-c', script]];
  const log = fs.openSync(path.join(keeper.root, 'keeper.log'), 'a');
  const child = spawn(cmd, args as string[], { env, detached: true, stdio: ['ignore', log, log] });
  // The keeper has its own copy of the descriptor.
  fs.closeSync(log);
  keepers.push(child);
  return child;
}

async function until(what: string, check: () => boolean, seconds = 20): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  const logs = [primaryKeeper, standbyKeeper].map((k) => path.join(k.root, 'keeper.log')).filter((f) => fs.existsSync(f));
  throw new Error(`gave up waiting for ${what}\n${logs.map((f) => fs.readFileSync(f, 'utf8')).join('\n')}`);
}

/** The keeper's secrets as the kubelet mounts them: passwords, and the certificate from the CA. */
function mountSecrets(keeper: ReturnType<typeof keeperPaths>, certificate: (dir: string) => void): void {
  fs.mkdirSync(path.join(keeper.etc, 'replication'), { recursive: true });
  fs.writeFileSync(path.join(keeper.etc, 'replication', 'password'), REPL_PASSWORD);
  certificate(path.join(keeper.etc, 'tls'));
  fs.mkdirSync(keeper.run, { recursive: true });
  fs.mkdirSync(keeper.volume, { recursive: true });
}

const primaryKeeper = keeperPaths('primary');
const standbyKeeper = keeperPaths('standby');
const serverCertificate = (dir: string, address = '127.0.0.1') =>
  issue(ca, dir, { commonName: address, ipAddresses: [address], usage: 'server' });

beforeAll(async () => {
  // The keepers run as the server's user (postgres, under root): they must reach their directories.
  fs.chmodSync(work.dir, 0o755);
  ca = makeCa(path.join(work.dir, 'ca'), 'platform-internal-test-ca');
  mountSecrets(primaryKeeper, (dir) => serverCertificate(dir));
  runKeeperScript(primaryKeeper, 'stolon-keeper-0');
  await until('the keeper to copy its certificate', () => fs.existsSync(path.join(primaryKeeper.run, 'tls', 'tls.key')));
  primary = new PgCluster('su-test-password');
  // stolon's data directory is <volume>/postgres: the reload loop finds PostgreSQL there.
  fs.symlinkSync(primary.data, path.join(primaryKeeper.volume, 'postgres'));
  const parameters = JSON.parse(
    remap(JSON.stringify({ ...primarySpec.pgParameters, ...keeperManagedParameters(primarySpec) }), primaryKeeper),
  ) as Record<string, string>;
  const r = primary.start(parameters, keeperHba(primarySpec), await freePort());
  if (r.status !== 0) throw new Error(primary.log());
  primary.sql(`CREATE ROLE ${REPL_USERNAME} WITH LOGIN REPLICATION PASSWORD '${REPL_PASSWORD.replace(/'/g, "''")}'`);
  primary.sql('CREATE TABLE canary AS SELECT 42 AS answer');
  // The slot the primary declares for the standby site (additionalMasterReplicationSlots).
  primary.sql(`SELECT pg_create_physical_replication_slot('${standbySpec.standbyConfig!.standbySettings.primarySlotName}')`);
}, 60_000);

afterAll(async () => {
  // SIGKILL, and wait: runuser catching a SIGTERM before it sees its child die waits 2 s more before
  // it exits, and the jest worker could not exit meanwhile. Nothing of the stand-in keeper needs a clean stop.
  await Promise.all(
    keepers.map(async (k) => {
      if (k.exitCode !== null || k.signalCode !== null) return;
      const exited = new Promise((resolve) => k.once('exit', resolve));
      try {
        process.kill(-k.pid!, 'SIGKILL');
      } catch {
        return; // already gone
      }
      await exited;
    }),
  );
  standby?.destroy();
  primary?.destroy();
  work.cleanup();
});

it('renders a keeper script and a nats container script that shellcheck accepts', () => {
  const bus = renderSite(primarySite, PLATFORM)
    .components.find((c) => c.name === 'bus')!
    .objects.find((o) => o.kind === 'StatefulSet') as unknown as {
    spec: { template: { spec: { containers: { name: string; command: string[] }[] } } };
  };
  const nats = bus.spec.template.spec.containers.find((c) => c.name === 'nats')!.command;
  for (const [script, shell] of [
    [keeperScript(), 'bash'],
    [nats[2]!, 'sh'],
  ] as const) {
    const r = spawnSync('shellcheck', ['-s', shell, '-'], { input: script, encoding: 'utf8' });
    expect({ status: r.status, out: r.stdout }).toEqual({ status: 0, out: '' });
  }
});

it('names in the keepers’ certificate the address the standby site dials', () => {
  const certificate = objects(primarySite).find((o) => o.kind === 'Certificate' && o.metadata.name === TLS_SECRET) as KubeObject & {
    spec: { ipAddresses: string[]; issuerRef: { name: string } };
  };
  const conn = standbySpec.standbyConfig!.standbySettings.primaryConnInfo;
  expect(conn).toContain(`host=${exposed} `);
  expect(conn).toMatch(/ sslmode=verify-full sslrootcert=\S+ca\.crt /);
  expect(standbySpec.pitrConfig!.dataRestoreCommand).toMatch(/PGSSLMODE=verify-full PGSSLROOTCERT=\S+ca\.crt pg_basebackup/);
  expect(certificate.spec.ipAddresses).toEqual([exposed]);
  expect(certificate.spec.issuerRef.name).toBe('platform-internal');
  // The CA's key is read from Vault by External Secrets: no key, nor certificate, is rendered.
  for (const site of SITES) {
    const rendered = JSON.stringify(renderSite(site, PLATFORM).components.map((c) => c.objects));
    expect(rendered).not.toMatch(/BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)/);
    expect(rendered).toContain('"key":"certificates/internal-ca","property":"tls.key"');
  }
  expect(primary.sql('SHOW ssl')).toBe('on');
});

it('initialises the standby site over TLS and streams on its slot, encrypted', async () => {
  mountSecrets(standbyKeeper, (dir) => issue(ca, dir, { commonName: 'standby', usage: 'client' }));
  runKeeperScript(standbyKeeper, 'stolon-keeper-0');
  await until('the standby keeper’s passfile', () => fs.existsSync(path.join(standbyKeeper.run, 'pgpass')));
  standby = new PgCluster('unused', { init: false });
  const settings = standbySpec.standbyConfig!.standbySettings;
  const pitr = JSON.parse(remap(JSON.stringify(standbySpec.pitrConfig), standbyKeeper, primary.port)) as PitrConfig;
  const parameters = JSON.parse(
    remap(JSON.stringify({ ...standbySpec.pgParameters, ...keeperManagedParameters(standbySpec) }), standbyKeeper),
  ) as Record<string, string>;
  const result = await stolonPitrInit(
    standby,
    pitr,
    { parameters, hba: keeperHba(standbySpec), port: await freePort() },
    { PATH: `${PG_BIN}:${process.env.PATH}` },
    {
      standby: { primaryConninfo: remap(settings.primaryConnInfo, standbyKeeper, primary.port), primarySlotName: settings.primarySlotName },
    },
  );
  if (!result.started) throw new Error(standby.log());
  expect(await standby.waitFor('SELECT answer FROM canary', '42')).toBe('42');
  expect(
    await primary.waitFor(
      `SELECT s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) WHERE r.application_name = '${standbySite.name}'`,
      't',
    ),
  ).toBe('t');
  // The walsender is listed from its connection on, before the standby's START_REPLICATION acquires the slot.
  expect(await primary.waitFor(`SELECT active FROM pg_replication_slots WHERE slot_name = '${settings.primarySlotName}'`, 't')).toBe('t');
}, 90_000);

/** The standby site's replication connection, as rendered, with a given CA file; returns psql's result. */
function replicationConnect(caFile?: string): { status: number | null; stderr: string } {
  let conn = `${remap(standbySpec.standbyConfig!.standbySettings.primaryConnInfo, standbyKeeper, primary.port)} replication=true`;
  if (caFile) conn = conn.replace(/sslrootcert=\S+/, `sslrootcert=${caFile}`);
  const r = spawnSync(`${PG_BIN}/psql`, [conn, '-XAtc', 'IDENTIFY_SYSTEM'], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

it('refuses a client without the platform CA', () => {
  const other = makeCa(path.join(work.dir, 'other-ca'), 'other-ca');
  fs.chmodSync(other.cert, 0o644);
  const refused = replicationConnect(other.cert);
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toMatch(/certificate verify failed/);
  expect(replicationConnect().status).toBe(0);
});

it('serves a renewed certificate without a restart, and verify-full refuses one naming another address', async () => {
  const pid = primary.sql('SELECT pg_postmaster_start_time()');
  // cert-manager renews with a certificate for another address: the keeper reloads it, and the
  // standby's connection refuses it (the name check of verify-full, not only the CA's).
  serverCertificate(path.join(primaryKeeper.etc, 'tls'), '192.0.2.1');
  await until('the renewed certificate to be served', () => /does not match host name/.test(replicationConnect().stderr));
  serverCertificate(path.join(primaryKeeper.etc, 'tls'));
  await until('the right certificate again', () => replicationConnect().status === 0);
  expect(primary.sql('SELECT pg_postmaster_start_time()')).toBe(pid);
}, 60_000);
