/**
 * A fake site that answers the edge's health question as Envoy and the resizer API would: after
 * the PROXY v2 header, TLS with the certificate of the name the client asks (SNI), then HTTP.
 * Relayed client connections are answered as by FakeSite (site name and client address). What it
 * answers is switched at run time: 200, 503 (no ready API pod), or a TLS that must fail.
 */
import * as https from 'node:https';
import type * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as fs from 'node:fs';
import { Duplex } from 'node:stream';
import { healthQuestion } from '../charts/edge/health';
import { SITES, type Site } from '../sites';
import { LinkRelay } from './link-relay';
import { FakeSite } from './proxy-v2';
import { tempDir } from './helpers';
import { issue, makeCa } from './tls-helpers';

/**
 * What the site answers the check: a status, a certificate from a CA the edge does not trust, one
 * for another name, plain text where TLS is expected (TCP and the PROXY header accepted), or
 * nothing at all once the request is in (a backend that hangs).
 */
export type HealthAnswer = 200 | 503 | 'untrusted-ca' | 'wrong-name' | 'no-tls' | 'hang';

/** One health check as the site saw it. */
export interface SeenCheck {
  /** The name asked by SNI ('' without one). */
  readonly sni: string;
  readonly method: string;
  readonly path: string;
  readonly host: string;
}

/** The certificates of a test run: the CA the edge trusts, and the sites' certificates. */
export interface EdgeTestCerts {
  /** The CA file the edge is given in place of the system's. */
  readonly trustedCa: string;
  readonly contexts: Record<'good' | 'untrusted-ca' | 'wrong-name', tls.SecureContext>;
}

/** Makes the certificates in `dir` (openssl): the health question's name from the trusted CA, from another CA, and another name. */
export function edgeTestCerts(dir: string): EdgeTestCerts {
  const host = healthQuestion(SITES[0]!).host;
  const trusted = makeCa(path.join(dir, 'trusted'), 'edge-trusted-ca');
  const other = makeCa(path.join(dir, 'other'), 'edge-other-ca');
  const leaf = (name: string, ca: typeof trusted, dnsName: string): tls.SecureContext => {
    const at = path.join(dir, name);
    issue(ca, at, { commonName: dnsName, dnsNames: [dnsName], usage: 'server' });
    return tls.createSecureContext({ cert: fs.readFileSync(path.join(at, 'tls.crt')), key: fs.readFileSync(path.join(at, 'tls.key')) });
  };
  return {
    trustedCa: trusted.cert,
    contexts: {
      good: leaf('good', trusted, host),
      'untrusted-ca': leaf('untrusted', other, host),
      'wrong-name': leaf('wrong-name', trusted, `other.${host}`),
    },
  };
}

/** A fake site answering health checks over TLS after the PROXY header. */
export class HealthCheckedSite extends FakeSite {
  /** What the next checks get. */
  health: HealthAnswer = 200;
  /** Every check that reached HTTP. */
  readonly checks: SeenCheck[] = [];
  /**
   * Checks answered so that they pass (200 over TLS with the good certificate) or fail (any other
   * answer: 503, a hang, plain text, a handshake with a bad certificate), counted as answered.
   */
  readonly answered = { passed: 0, failed: 0 };
  /**
   * Whether relayed connections stay open once answered, as a keep-alive, HTTP/2 or WebSocket
   * session does: each line the client sends after is answered `<site> <line>`.
   */
  holdSessions = false;
  private readonly https: https.Server;

  constructor(name: string, certs: EdgeTestCerts) {
    super(name);
    this.https = https.createServer(
      {
        // No default certificate: a check without SNI fails its handshake.
        SNICallback: (_servername, done) => {
          const bad = this.health === 'untrusted-ca' || this.health === 'wrong-name' ? this.health : undefined;
          if (bad) this.answered.failed++;
          done(null, certs.contexts[bad ?? 'good']);
        },
      },
      (req, res) => {
        const socket = req.socket as tls.TLSSocket;
        this.checks.push({
          sni: typeof socket.servername === 'string' ? socket.servername : '',
          method: req.method ?? '',
          path: req.url ?? '',
          host: req.headers.host ?? '',
        });
        const status = this.health === 503 ? 503 : 200;
        // A handshake made with the good certificate just before a switch to a bad one still passes.
        if (this.health === 'hang' || status === 503) this.answered.failed++;
        else this.answered.passed++;
        if (this.health === 'hang') return;
        res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
        res.end(status === 200 ? 'ready\n' : 'no healthy upstream\n');
      },
    );
    this.https.on('tlsClientError', () => undefined);
  }

  protected override answerRelayed(socket: net.Socket, answer: string): void {
    if (!this.holdSessions) return super.answerRelayed(socket, answer);
    socket.write(answer);
    let pending = '';
    socket.on('data', (d: Buffer) => {
      const lines = (pending + d.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) socket.write(`${this.name} ${line}\n`);
    });
  }

  protected override answerLocal(socket: net.Socket, rest: Buffer): void {
    if (this.health === 'no-tls') {
      // Accepts the connection and its header, then speaks plain HTTP: the TLS handshake fails.
      // Counted once TLS is tried: the TCP checks (last resort, per-site names) send the header only.
      const answer = (): void => {
        this.answered.failed++;
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
      };
      if (rest.length > 0) answer();
      else socket.once('data', answer);
      return;
    }
    // TLS over a stream of its own: bytes read past the header (the ClientHello) are handed on
    // first, which a TLS socket wrapping the connection's handle would not see.
    const stream = new Duplex({
      read: () => socket.resume(),
      write: (chunk: Buffer, _encoding, done) => socket.write(chunk, done),
      final: (done) => socket.end(done),
      destroy: (err, done) => {
        socket.destroy();
        done(err);
      },
    });
    if (rest.length > 0) stream.push(rest);
    socket.on('data', (d: Buffer) => {
      if (!stream.push(d)) socket.pause();
    });
    socket.on('end', () => stream.push(null));
    socket.on('close', () => stream.destroy());
    this.https.emit('connection', stream);
  }
}

/**
 * A fake site the edge reaches through a link that can stall (test/link-relay.ts): the edge
 * is given the relay's port, and `link.stall()` blackholes the site without closing anything.
 */
export class StallableSite extends HealthCheckedSite {
  private relay?: LinkRelay;

  /** The link between the edge and the site (started by `listen`). */
  get link(): LinkRelay {
    if (!this.relay) throw new Error(`${this.name} is not listening`);
    return this.relay;
  }

  override async listen(): Promise<number> {
    this.relay = await LinkRelay.start([await super.listen()], 'blackhole');
    return this.relay.port;
  }

  override async close(): Promise<void> {
    await this.relay?.close();
    await super.close();
  }
}

/** The certificates of a test file's suite: made before its tests in a directory removed after them. */
export function suiteCerts(prefix: string): () => EdgeTestCerts {
  let certs: EdgeTestCerts | undefined;
  const tmp = tempDir(prefix);
  beforeAll(() => (certs = edgeTestCerts(tmp.dir)));
  afterAll(() => tmp.cleanup());
  return () => {
    if (!certs) throw new Error('the certificates are made before the tests');
    return certs;
  };
}

/** A healthy fake site for each site of `model`. */
export function healthySites(model: readonly Site[], certs: EdgeTestCerts): Map<string, HealthCheckedSite> {
  return new Map(model.map((s) => [s.name, new HealthCheckedSite(s.name, certs)]));
}
