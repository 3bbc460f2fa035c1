/**
 * A TCP relay on 127.0.0.1 standing in for the network between two sites, so a rehearsal can cut
 * the link and restore it: `cut()` drops every relayed connection and every new one, `restore()`
 * relays again. The relay keeps listening through a cut, so its port stays its own (a port
 * released during the cut could be taken by another process, and the link never restored).
 */
import * as net from 'node:net';

export class TcpRelay {
  private linked = true;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((client) => this.accept(client));

  private constructor(private readonly target: number) {}

  /** A relay from a port the kernel picks to `target` (127.0.0.1), listening. */
  static async start(target: number): Promise<TcpRelay> {
    const relay = new TcpRelay(target);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  /** The port the relay listens on. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    if (!this.linked) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Relays connections again. */
  restore(): void {
    this.linked = true;
  }

  /** The link is cut: relayed connections drop, new ones are dropped as they come. */
  cut(): void {
    this.linked = false;
    for (const s of this.sockets) s.destroy();
  }

  /** Cuts the link and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
