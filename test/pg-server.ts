/**
 * A throwaway PostgreSQL of the platform's major version on 127.0.0.1, for tests that must prove
 * the real server accepts what we render. PostgreSQL refuses to run as root: when the tests run as
 * root (CI), the server runs as the `postgres` user of the Debian package.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { POSTGRES_MAJOR } from '../charts/postgres/spec';
import { TLS_RUN_DIR } from '../charts/postgres/tls';
import { tempDir } from './helpers';
import { issue, makeCa } from './tls-helpers';

export const PG_BIN = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;

/** Runs a command as the user PostgreSQL runs as (`postgres` when the tests run as root). */
export function asPostgres(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return spawnSync(file, argv, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', ...env }, timeout: 60_000 });
}

export { freePort } from './free-port';

const INITDB_OPTIONS = ['-U', 'postgres', '--auth=scram-sha-256', '--no-sync', '--encoding=UTF8', '--locale=C'];

/** Gives a directory the tests made to the user PostgreSQL runs as (when the tests run as root). */
function ownByPostgres(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  fs.chownSync(dir, uid, gid);
}

/** Runs initdb into `data` (absent) with the superuser's password. */
function initdb(dir: string, data: string, superuserPassword: string): void {
  const pwfile = path.join(dir, 'pw');
  fs.writeFileSync(pwfile, superuserPassword, { mode: 0o644 });
  const r = asPostgres(`${PG_BIN}/initdb`, ['-D', data, `--pwfile=${pwfile}`, ...INITDB_OPTIONS]);
  if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr}`);
}

/**
 * A data directory initdb made with this superuser password, made once per jest run in the run's
 * directory (test/global-setup.js; removed with it) and copied by each cluster: `cp -a` takes
 * about 0.1 s of CPU, initdb about 0.7 s. Workers that make the same one at once each make their
 * own and rename it into place; the first rename wins, the others find it there. Undefined
 * outside a jest run (no run directory): the cluster runs initdb itself.
 */
function initdbTemplate(superuserPassword: string): string | undefined {
  const runDir = process.env.PLATFORM_TEST_RENDERED;
  if (runDir === undefined) return undefined;
  const key = createHash('sha256')
    .update(JSON.stringify([PG_BIN, INITDB_OPTIONS, superuserPassword]))
    .digest('hex')
    .slice(0, 16);
  const template = path.join(runDir, `pg-template-${key}`);
  if (fs.existsSync(template)) return template;
  const t = tempDir('pg-template-');
  try {
    ownByPostgres(t.dir);
    initdb(t.dir, path.join(t.dir, 'data'), superuserPassword);
    try {
      fs.renameSync(path.join(t.dir, 'data'), template);
    } catch (err) {
      if (!fs.existsSync(template)) throw err;
    }
  } finally {
    t.cleanup();
  }
  return template;
}

/** An initialised data directory; `start` runs a server on it with the given configuration. */
export class PgCluster {
  readonly dir: string;
  readonly data: string;
  private readonly cleanupDir: () => void;
  private running = false;
  port = 0;

  /** `init: false` leaves the data directory absent (filled by a base backup or a restore). */
  constructor(superuserPassword: string, options: { init?: boolean } = {}) {
    const t = tempDir('pg-test-');
    this.dir = t.dir;
    this.cleanupDir = t.cleanup;
    this.data = path.join(this.dir, 'data');
    ownByPostgres(this.dir);
    if (options.init === false) return;
    const template = initdbTemplate(superuserPassword);
    if (template === undefined) initdb(this.dir, this.data, superuserPassword);
    else execFileSync('cp', ['-a', template, this.data]);
  }

  /** Writes postgresql.conf (our parameters) and pg_hba.conf, then starts; returns pg_ctl's result. */
  start(parameters: Record<string, string>, hba: readonly string[], port: number): SpawnSyncReturns<string> {
    this.writeConfig('postgresql.conf', parameters, hba, port);
    return this.startServer();
  }

  /** Writes a configuration file (the listen settings of the test, then `parameters`) and pg_hba.conf. */
  writeConfig(file: string, parameters: Record<string, string>, hba: readonly string[], port: number, include?: string): void {
    this.port = port;
    const conf = [
      ...(include ? [`include '${include}'`] : []),
      `listen_addresses = '127.0.0.1'`,
      `port = ${port}`,
      `unix_socket_directories = '${this.dir}'`,
      ...Object.entries(parameters).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`),
      '',
    ].join('\n');
    fs.writeFileSync(path.join(this.data, file), conf);
    fs.writeFileSync(path.join(this.data, 'pg_hba.conf'), `${hba.join('\n')}\n`);
    this.ownData();
  }

  /** Starts the server on the data directory as it is (`-c` options passed to postgres); returns pg_ctl's result. */
  startServer(options: readonly string[] = [], waitSeconds = 30): SpawnSyncReturns<string> {
    const o = options.length > 0 ? ['-o', options.join(' ')] : [];
    const r = asPostgres(`${PG_BIN}/pg_ctl`, [
      '-D',
      this.data,
      '-l',
      path.join(this.dir, 'server.log'),
      '-w',
      '-t',
      String(waitSeconds),
      ...o,
      'start',
    ]);
    this.running = r.status === 0 || fs.existsSync(path.join(this.data, 'postmaster.pid'));
    return r;
  }

  /** Gives the data directory to the server's user with the modes PostgreSQL requires. */
  ownData(): void {
    spawnSync('chmod', ['-R', 'go-rwx', this.data]);
    if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', this.dir]);
  }

  /** The server log (why a start failed). */
  log(): string {
    const file = path.join(this.dir, 'server.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  }

  /** Runs SQL over TCP as `user` and returns the unaligned output. */
  sql(query: string, user = 'postgres', password = 'su-test-password'): string {
    const r = spawnSync(`${PG_BIN}/psql`, ['-h', '127.0.0.1', '-p', String(this.port), '-U', user, '-d', 'postgres', '-XAtc', query], {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: password },
      timeout: 30_000,
    });
    if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  /** Polls `query` until it returns `expected` or `seconds` pass; returns the last answer. */
  async waitFor(query: string, expected: string, seconds = 30): Promise<string> {
    let last = '';
    for (let i = 0; i < seconds * 4; i++) {
      try {
        last = this.sql(query);
        if (last === expected) return last;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return last;
  }

  stop(): void {
    if (this.running) asPostgres(`${PG_BIN}/pg_ctl`, ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
    this.running = false;
  }

  /** Stops the server if running and removes every file. */
  destroy(): void {
    this.stop();
    this.cleanupDir();
  }
}

/**
 * The rendered parameters with the keeper's TLS files (which it copies from cert-manager's
 * Secret) replaced by a certificate from a test CA in `dir`, owned by the server's user.
 */
export function withTestCertificate(parameters: Record<string, string>, dir: string): Record<string, string> {
  const tlsDir = path.join(dir, 'tls');
  if (!fs.existsSync(path.join(tlsDir, 'tls.key'))) {
    // The server's user must reach the files (the test's temp directories are its own).
    fs.chmodSync(dir, 0o755);
    issue(makeCa(path.join(dir, 'ca'), 'test-ca'), tlsDir, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], usage: 'server' });
    // PostgreSQL refuses a key others can read (the keeper's copy is its user's, mode 0400).
    fs.chmodSync(path.join(tlsDir, 'tls.key'), 0o600);
    if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', tlsDir]);
  }
  return Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, v.replaceAll(TLS_RUN_DIR, tlsDir)]));
}
