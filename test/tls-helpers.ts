/**
 * Certificates for tests that run real TLS servers, made with the openssl CLI the way cert-manager's
 * CA issuer makes them: a CA, and leaf certificates (ECDSA P-256) whose Secret-like directory holds
 * `tls.crt`, `tls.key` and `ca.crt`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A test CA: its certificate and key files. */
export interface TestCa {
  readonly cert: string;
  readonly key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe', timeout: 30_000 });
}

/** A self-signed CA in `dir`. */
export function makeCa(dir: string, name: string): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
      '-out',
      cert,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { cert, key };
}

/**
 * Issues a certificate signed by `ca` into `dir` (`tls.crt`, `tls.key`, `ca.crt`), for a server
 * (IP and DNS names) or a client. Returns the serial number, to tell two issues apart.
 */
export function issue(
  ca: TestCa,
  dir: string,
  props: { commonName: string; ipAddresses?: readonly string[]; dnsNames?: readonly string[]; usage: 'server' | 'client' },
): string {
  fs.mkdirSync(dir, { recursive: true });
  const work = fs.mkdtempSync(`${dir}/.issue-`);
  const key = path.join(work, 'tls.key');
  const csr = path.join(work, 'tls.csr');
  const cert = path.join(work, 'tls.crt');
  const ext = path.join(work, 'ext.cnf');
  const san = [...(props.ipAddresses ?? []).map((a) => `IP:${a}`), ...(props.dnsNames ?? []).map((d) => `DNS:${d}`)];
  fs.writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${props.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(san.length > 0 ? [`subjectAltName=${san.join(',')}`] : []),
      '',
    ].join('\n'),
  );
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], work);
  openssl(['req', '-new', '-key', key, '-subj', `/CN=${props.commonName}`, '-out', csr], work);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', cert],
    work,
  );
  // Like the kubelet's atomic Secret update: every file is replaced at once.
  for (const [from, to] of [
    [cert, 'tls.crt'],
    [key, 'tls.key'],
    [ca.cert, 'ca.crt'],
  ] as const) {
    fs.copyFileSync(from, path.join(work, `${to}.new`));
  }
  for (const to of ['tls.crt', 'tls.key', 'ca.crt']) {
    // Readable by every user, as a Secret volume is by the pod's group (servers may run as another user here).
    fs.chmodSync(path.join(work, `${to}.new`), 0o644);
    fs.renameSync(path.join(work, `${to}.new`), path.join(dir, to));
  }
  const serial = execFileSync('openssl', ['x509', '-noout', '-serial', '-in', path.join(dir, 'tls.crt')], { encoding: 'utf8' }).trim();
  fs.rmSync(work, { recursive: true, force: true });
  return serial.replace(/^serial=/, '').toUpperCase();
}
