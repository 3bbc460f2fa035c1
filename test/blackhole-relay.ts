/**
 * A TCP relay on 127.0.0.1 standing in for a link that stalls rather than closes: a blackholed
 * WAN, a site lost with its packets vanishing. While it forwards, it relays both ways. `hold()`
 * makes it silent without closing anything: it stops reading and writing on every relayed
 * connection (the sender's data piles up unread, no FIN or RST reaches either end, both sockets stay
 * established), and new connections are accepted but never dialled onwards nor answered.
 * `forward()` lets everything through again, as a link that comes back does: held connections are
 * dialled, what each end sent meanwhile is delivered, and an end that gave up during the stall
 * (closed its socket) has its peer closed then, as its FIN or RST would arrive once the link is back.
 *
 * On loopback the relay's kernel still completes TCP handshakes and acknowledges what it is sent, so
 * a program's own timers (check and replication timeouts) are what notice the stall here, not TCP
 * retransmission or keepalive timeouts, which a real blackhole would also run into.
 */
import * as net from 'node:net';

/** One relayed connection: the side that dialled the relay and, once dialled, the target's side. */
interface Pair {
  readonly client: net.Socket;
  upstream?: net.Socket;
  /** A side closed while the relay held: its peer is closed at the next `forward()`. */
  closedWhileHeld: boolean;
}

export class BlackholeRelay {
  private holding = false;
  private readonly pairs = new Set<Pair>();
  /** Connections accepted while holding (each a connection attempt that got no answer). */
  acceptedWhileHeld = 0;
  private readonly server = net.createServer((client) => this.accept(client));

  private constructor(private readonly target: number) {}

  /** A relay from a port the kernel picks to `target` on 127.0.0.1, forwarding. */
  static async start(target: number): Promise<BlackholeRelay> {
    const relay = new BlackholeRelay(target);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  /** The port the relay listens on. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Whether the relay holds (the link is stalled). */
  get held(): boolean {
    return this.holding;
  }

  private accept(client: net.Socket): void {
    const pair: Pair = { client, closedWhileHeld: false };
    this.pairs.add(pair);
    this.watchClose(pair, client);
    if (this.holding) {
      this.acceptedWhileHeld++;
      client.pause();
      return;
    }
    this.dial(pair);
  }

  /** Closing one side closes the other, unless the relay holds: then only at the next `forward()`. */
  private watchClose(pair: Pair, socket: net.Socket): void {
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.holding) {
        pair.closedWhileHeld = true;
        return;
      }
      this.drop(pair);
    });
  }

  private drop(pair: Pair): void {
    pair.client.destroy();
    pair.upstream?.destroy();
    this.pairs.delete(pair);
  }

  private dial(pair: Pair): void {
    const upstream = net.connect(this.target, '127.0.0.1');
    pair.upstream = upstream;
    this.watchClose(pair, upstream);
    this.relay(pair.client, upstream);
    this.relay(upstream, pair.client);
    pair.client.resume();
  }

  /** Relays `from` to `to` by hand (not `pipe`, whose drain handling would resume a held socket). */
  private relay(from: net.Socket, to: net.Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!this.holding) from.resume();
    });
    from.on('end', () => to.end());
  }

  /** The link stalls: nothing is read, written, closed or dialled until `forward()`. */
  hold(): void {
    this.holding = true;
    for (const { client, upstream } of this.pairs) {
      client.pause();
      upstream?.pause();
    }
  }

  /** The link is back: held connections are dialled, held data flows, ends that gave up are closed. */
  forward(): void {
    this.holding = false;
    for (const pair of [...this.pairs]) {
      if (pair.closedWhileHeld) this.drop(pair);
      else if (!pair.upstream) this.dial(pair);
      else {
        pair.client.resume();
        pair.upstream.resume();
      }
    }
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    this.holding = false;
    for (const pair of [...this.pairs]) this.drop(pair);
    await new Promise((resolve) => this.server.close(resolve));
  }
}
