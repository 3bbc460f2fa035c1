/**
 * A TCP relay on 127.0.0.1 standing in for the link between two sites (the network, a WAN, the
 * hub's floating address under MetalLB), so a rehearsal can break it and mend it. It forwards each
 * connection to the first target that accepts it (L2 mode announces an address from one node;
 * another takes it when that node's server is gone). The relay keeps listening through every
 * break, so its port stays its own (a port released meanwhile could be taken by another process).
 *
 * `cut()` closes every relayed connection on both sides and each new one as it comes (a firewall
 * that resets, a router restarting). `stall()` forwards nothing either way and closes nothing
 * (packets dropped: no FIN, no RST); new connections are accepted and left unanswered. What a
 * stalled connection does with what it is sent is the relay's `stalls` mode, chosen at start:
 * - 'buffering' (the bus): the relay reads on and keeps the bytes in memory, so each sender's
 *   socket drains as usual and only the servers' own pings notice the stall; held connections are
 *   closed at `restore()` (they were never answered: their next packet finds nothing there);
 * - 'blackhole' (edge, database): the relay pauses its sockets, so what a sender writes piles up
 *   unread (node still takes up to its high-water mark, 16 KiB, into its own buffer; nothing is
 *   forwarded); held connections are dialled at `restore()`, as a link that comes back delivers
 *   the handshakes it held.
 * `restore()` forwards again: a stalled connection both of whose ends are open gets what was held
 * and goes on; one an end closed meanwhile is closed on the other end too (its FIN or RST arrives
 * once the link is back).
 *
 * On loopback the relay's kernel still completes TCP handshakes and acknowledges what it is sent, so
 * programs' own timers notice a stall here, not TCP retransmission or keepalive timeouts, which a
 * real blackhole would also run into. Every byte passes through here, so a peer reached while the
 * relay is cut went around it.
 */
import * as net from 'node:net';

/** What a stalled link does with what it is sent, and with connections it held unanswered. */
type StallMode = 'buffering' | 'blackhole';

/** One relayed connection: the side that dialled the relay and the target's side dialled from here. */
interface Pair {
  readonly leaf: net.Socket;
  readonly hub: net.Socket;
  /** Bytes read while the link is stalled, per direction ('buffering'). */
  readonly held: { toHub: Buffer[]; toLeaf: Buffer[] };
  /** The ends closed while the link was stalled (the other end never hears of it). */
  readonly endedWhileStalled: Set<'leaf' | 'hub'>;
}

/** A relay's side of the link ended while the relay held it, and when. */
interface EndWhileStalled {
  /** 'leaf' is the side that dialled the relay, 'hub' the target's. */
  readonly end: 'leaf' | 'hub';
  /** Milliseconds after `stall()`. */
  readonly afterMs: number;
}

export class LinkRelay {
  private state: 'linked' | 'cut' | 'stalled' = 'linked';
  private readonly pairs = new Set<Pair>();
  /** Connections accepted while stalled, left unanswered. */
  private readonly unanswered = new Set<net.Socket>();
  private stalledAt = 0;
  /** Connections closed on arrival during a cut. */
  refused = 0;
  /** Connections accepted while stalled and left unanswered (each a connection attempt that got no answer). */
  heldUnanswered = 0;
  /** Connections relayed to a target since the start. */
  relayedInAll = 0;
  /** Each end closed while the relay held the link stalled (since the last `stall()`). */
  readonly endsWhileStalled: EndWhileStalled[] = [];
  private readonly server = net.createServer((leaf) => this.accept(leaf));

  private constructor(
    private targets: readonly number[],
    private readonly stalls: StallMode,
  ) {}

  /** A relay on a port the kernel picks, listening, to `targets` on 127.0.0.1 (or those `reach` gives). */
  static async start(targets: readonly number[] = [], stalls: StallMode = 'buffering'): Promise<LinkRelay> {
    const relay = new LinkRelay([...targets], stalls);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  /** The port the relay listens on. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The targets' ports, in the order the relay tries them. */
  reach(ports: readonly number[]): void {
    this.targets = [...ports];
  }

  /** Connections relayed now, both ends open and forwarding. */
  get relayed(): number {
    return [...this.pairs].filter((p) => p.endedWhileStalled.size === 0 && !p.leaf.destroyed && !p.hub.destroyed).length;
  }

  /** A 'blackhole' relay stops reading while stalled: sockets stay paused, whatever drains. */
  private get reading(): boolean {
    return this.state !== 'stalled' || this.stalls === 'buffering';
  }

  private accept(leaf: net.Socket): void {
    leaf.on('error', () => leaf.destroy());
    if (this.state === 'cut') {
      this.refused++;
      leaf.destroy();
      return;
    }
    leaf.pause();
    if (this.state === 'stalled') {
      this.heldUnanswered++;
      this.unanswered.add(leaf);
      leaf.on('close', () => this.unanswered.delete(leaf));
      return;
    }
    this.dial(leaf, 0);
  }

  /** Dials the targets in turn from `i`; the leaf's connection is closed if none accepts. */
  private dial(leaf: net.Socket, i: number): void {
    const port = this.targets[i];
    if (port === undefined || leaf.destroyed) {
      leaf.destroy();
      return;
    }
    const hub = net.connect(port, '127.0.0.1');
    // Refused: that server is down, the address moves to the next.
    const next = () => {
      hub.destroy();
      this.dial(leaf, i + 1);
    };
    hub.once('error', next);
    hub.once('connect', () => {
      hub.off('error', next);
      this.link(leaf, hub);
    });
  }

  private link(leaf: net.Socket, hub: net.Socket): void {
    if (this.state === 'cut' || leaf.destroyed) {
      for (const s of [leaf, hub]) s.destroy();
      return;
    }
    const pair: Pair = { leaf, hub, held: { toHub: [], toLeaf: [] }, endedWhileStalled: new Set() };
    this.pairs.add(pair);
    this.relayedInAll++;
    this.forward(pair, leaf, hub, pair.held.toHub, 'leaf');
    this.forward(pair, hub, leaf, pair.held.toLeaf, 'hub');
    // Dialled while a blackhole stalled: the target's side is silent too until `restore()`.
    if (this.reading) leaf.resume();
    else hub.pause();
  }

  /** Relays `from` to `to` by hand (not `pipe`, whose drain handling would resume a stalled socket). */
  private forward(pair: Pair, from: net.Socket, to: net.Socket, held: Buffer[], end: 'leaf' | 'hub'): void {
    from.on('data', (chunk: Buffer) => {
      if (this.state === 'stalled') held.push(chunk);
      else if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (this.reading) from.resume();
    });
    // A FIN is passed on while the link forwards; a stalled link drops it with the rest.
    from.on('end', () => {
      if (this.state !== 'stalled') to.end();
    });
    from.on('error', () => from.destroy());
    from.on('close', () => {
      if (this.state === 'stalled') {
        if (!pair.endedWhileStalled.has(end)) this.endsWhileStalled.push({ end, afterMs: Date.now() - this.stalledAt });
        pair.endedWhileStalled.add(end);
        if (pair.endedWhileStalled.size === 2) this.pairs.delete(pair);
        return;
      }
      to.destroy();
      this.pairs.delete(pair);
    });
  }

  /** The link is cut: every relayed connection closes on both sides, new ones close as they come. */
  cut(): void {
    this.state = 'cut';
    for (const p of this.pairs) for (const s of [p.leaf, p.hub]) s.destroy();
    this.pairs.clear();
    // Connections a stall left unanswered are cut too: restore() after a cut has nothing to dial.
    for (const s of this.unanswered) s.destroy();
    this.unanswered.clear();
  }

  /** The link stalls: nothing is forwarded either way, nothing is closed, new connections are not answered. */
  stall(): void {
    this.state = 'stalled';
    this.stalledAt = Date.now();
    this.endsWhileStalled.length = 0;
    if (this.stalls === 'blackhole') for (const p of this.pairs) for (const s of [p.leaf, p.hub]) s.pause();
  }

  /**
   * Forwards again: what was held is delivered, connections an end closed meanwhile are closed on
   * the other end too, and connections held unanswered are dialled ('blackhole') or closed ('buffering').
   */
  restore(): void {
    const wasStalled = this.state === 'stalled';
    this.state = 'linked';
    if (!wasStalled) return;
    for (const s of [...this.unanswered]) {
      this.unanswered.delete(s);
      if (this.stalls === 'blackhole') this.dial(s, 0);
      else s.destroy();
    }
    for (const p of [...this.pairs]) {
      if (p.endedWhileStalled.size > 0) {
        for (const s of [p.leaf, p.hub]) s.destroy();
        this.pairs.delete(p);
        continue;
      }
      for (const chunk of p.held.toHub.splice(0)) p.hub.write(chunk);
      for (const chunk of p.held.toLeaf.splice(0)) p.leaf.write(chunk);
      if (this.stalls === 'blackhole') for (const s of [p.leaf, p.hub]) s.resume();
    }
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
