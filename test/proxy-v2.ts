/**
 * A small TCP server standing in for a site's Envoy in the edge tests: it requires a PROXY
 * protocol v2 header (as Envoy does with `--use-proxy-protocol`), parses it, and answers with its
 * site name and the client address the header carried.
 */
import * as net from 'node:net';

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** What a PROXY v2 header says. */
export interface ProxyHeader {
  /** `PROXY` for relayed connections, `LOCAL` for the proxy's own (health checks). */
  readonly command: 'PROXY' | 'LOCAL';
  /** Source address and port of the original client (PROXY over TCP only). */
  readonly source?: { readonly address: string; readonly port: number };
}

/** Parses a PROXY v2 header at the start of `buf`; `undefined` while incomplete; throws if invalid. */
export function parseProxyV2(buf: Buffer): { header: ProxyHeader; length: number } | undefined {
  if (buf.length < 16) {
    if (!SIGNATURE.subarray(0, buf.length).equals(buf.subarray(0, Math.min(buf.length, 12)))) throw new Error('no PROXY v2 signature');
    return undefined;
  }
  if (!buf.subarray(0, 12).equals(SIGNATURE)) throw new Error('no PROXY v2 signature');
  const versionCommand = buf[12]!;
  if (versionCommand >> 4 !== 2) throw new Error(`PROXY version ${versionCommand >> 4}, expected 2`);
  const length = 16 + buf.readUInt16BE(14);
  if (buf.length < length) return undefined;
  const command = (versionCommand & 0x0f) === 1 ? 'PROXY' : 'LOCAL';
  const family = buf[13]!;
  if (command === 'LOCAL') return { header: { command }, length };
  if (family === 0x11) {
    const address = [...buf.subarray(16, 20)].join('.');
    return { header: { command, source: { address, port: buf.readUInt16BE(24) } }, length };
  }
  if (family === 0x21) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(16 + 2 * i).toString(16));
    const address = net.isIPv6(groups.join(':')) ? compressIPv6(groups) : groups.join(':');
    return { header: { command, source: { address, port: buf.readUInt16BE(48) } }, length };
  }
  throw new Error(`unexpected address family 0x${family.toString(16)}`);
}

function compressIPv6(groups: string[]): string {
  // Good enough for the loopback addresses the tests use (::1).
  const text = groups.join(':');
  return text === '0:0:0:0:0:0:0:1' ? '::1' : text;
}

/** A fake site: listens on 127.0.0.1, answers `<site> <client address> <client port>`. */
export class FakeSite {
  readonly server: net.Server;
  /** Headers of relayed connections, in arrival order. */
  readonly relayed: ProxyHeader[] = [];
  /** Connections that came without a valid PROXY v2 header. */
  rejected = 0;
  /** The TCP peer address of every connection (the edge's source address), health checks included. */
  readonly peers: string[] = [];
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly name: string) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      // Undefined only for a connection already reset by its peer (a health check closing at once).
      if (socket.remoteAddress !== undefined) this.peers.push(socket.remoteAddress);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let buf = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        buf = Buffer.concat([buf, chunk]);
        let parsed: ReturnType<typeof parseProxyV2>;
        try {
          parsed = parseProxyV2(buf);
        } catch {
          this.rejected++;
          socket.destroy();
          return;
        }
        if (!parsed) return;
        socket.off('data', onData);
        if (parsed.header.command === 'LOCAL') {
          this.answerLocal(socket, buf.subarray(parsed.length));
          return;
        }
        this.relayed.push(parsed.header);
        const src = parsed.header.source!;
        this.answerRelayed(socket, `${this.name} ${src.address} ${src.port}\n`);
      };
      socket.on('data', onData);
    });
  }

  /** A connection of the proxy's own (a health check), with what followed its header: closed. */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  protected answerLocal(socket: net.Socket, _rest: Buffer): void {
    socket.end();
  }

  /** A relayed client connection, given its answer: answered and closed. */
  protected answerRelayed(socket: net.Socket, answer: string): void {
    socket.end(answer);
  }

  listen(): Promise<number> {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  /** Stops listening and drops open connections: the site is down. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Connects from `localAddress`, sends `request` (clients speak first: a TLS ClientHello, an HTTP
 * request; the edge inspects it for the SNI or the Host) and returns the fake site's answer and
 * the local port used.
 */
export function ask(host: string, port: number, localAddress: string, request = 'hello\n'): Promise<{ answer: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress });
    let data = '';
    let localPort = 0;
    socket.on('connect', () => {
      localPort = socket.localPort ?? 0;
      socket.write(request);
    });
    socket.on('data', (d) => (data += d.toString()));
    socket.on('end', () => resolve({ answer: data.trim(), localPort }));
    socket.on('error', reject);
  });
}
