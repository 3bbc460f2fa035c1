/**
 * The hub's floating address (MetalLB) on loopback: a TCP relay the leaf servers dial and the hub
 * advertises in its INFO, forwarding each connection to the first hub server that accepts it (L2
 * mode announces the address from one node; another takes it when that node's server is gone).
 * It cuts the link two ways: `cut()` closes every relayed connection on both sides and each new
 * one as it comes (a firewall that resets, a site's router restarting), `stall()` forwards nothing
 * either way and closes nothing (packets dropped: no FIN, no RST), holding new connections
 * unanswered. `restore()` forwards again. Every connection's bytes pass through here, so a leaf
 * that reaches the hub while the relay is cut went around it.
 */
import * as net from 'node:net';

/** One relayed connection: the leaf's side (accepted here) and the hub's (dialed from here). */
interface Pair {
  readonly leaf: net.Socket;
  readonly hub: net.Socket;
  /** Bytes held while the link is stalled, per direction. */
  readonly held: { toHub: Buffer[]; toLeaf: Buffer[] };
  /** The ends a server closed while the link was stalled (the other end never hears of it). */
  readonly endedWhileStalled: Set<'leaf' | 'hub'>;
}

/** A relay's side of the link ended by a server while the relay held it, and when. */
export interface EndWhileStalled {
  readonly end: 'leaf' | 'hub';
  /** Milliseconds after `stall()`. */
  readonly afterMs: number;
}

export class LinkRelay {
  private state: 'linked' | 'cut' | 'stalled' = 'linked';
  private targets: readonly number[] = [];
  private readonly pairs = new Set<Pair>();
  /** Connections accepted while stalled, left unanswered. */
  private readonly unanswered = new Set<net.Socket>();
  private stalledAt = 0;
  /** Connections closed on arrival during a cut. */
  refused = 0;
  /** Connections held unanswered during a stall. */
  heldUnanswered = 0;
  /** Connections relayed to a hub server since the start. */
  relayedInAll = 0;
  /** Each end a server closed while the relay held the link stalled. */
  readonly endsWhileStalled: EndWhileStalled[] = [];
  private readonly server = net.createServer((leaf) => this.accept(leaf));

  /** A relay on a port the kernel picks, listening; `reach` gives it the hub servers. */
  static async start(): Promise<LinkRelay> {
    const relay = new LinkRelay();
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  /** The port the relay listens on. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The hub servers' leafnode ports, in the order the relay tries them. */
  reach(ports: readonly number[]): void {
    this.targets = [...ports];
  }

  /** Connections relayed now, both ends open and forwarding. */
  get relayed(): number {
    return [...this.pairs].filter((p) => p.endedWhileStalled.size === 0 && !p.leaf.destroyed && !p.hub.destroyed).length;
  }

  private accept(leaf: net.Socket): void {
    leaf.on('error', () => leaf.destroy());
    if (this.state === 'cut') {
      this.refused++;
      leaf.destroy();
      return;
    }
    if (this.state === 'stalled') {
      this.heldUnanswered++;
      this.unanswered.add(leaf);
      leaf.on('close', () => this.unanswered.delete(leaf));
      return;
    }
    leaf.pause();
    this.dial(leaf, 0);
  }

  /** Dials the hub servers in turn from `i`; the leaf's connection is closed if none accepts. */
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
    if (this.state === 'cut') {
      for (const s of [leaf, hub]) s.destroy();
      return;
    }
    const pair: Pair = { leaf, hub, held: { toHub: [], toLeaf: [] }, endedWhileStalled: new Set() };
    this.pairs.add(pair);
    this.relayedInAll++;
    const forward = (from: net.Socket, to: net.Socket, held: Buffer[], end: 'leaf' | 'hub') => {
      from.on('data', (chunk: Buffer) => {
        if (this.state === 'stalled') held.push(chunk);
        else to.write(chunk);
      });
      from.on('error', () => from.destroy());
      from.on('close', () => {
        if (this.state === 'stalled') {
          // Dropped packets carry no FIN: the other end is left as it was.
          if (!pair.endedWhileStalled.has(end)) this.endsWhileStalled.push({ end, afterMs: Date.now() - this.stalledAt });
          pair.endedWhileStalled.add(end);
          if (pair.endedWhileStalled.size === 2) this.pairs.delete(pair);
          return;
        }
        to.destroy();
        this.pairs.delete(pair);
      });
    };
    forward(leaf, hub, pair.held.toHub, 'leaf');
    forward(hub, leaf, pair.held.toLeaf, 'hub');
    leaf.resume();
  }

  /** The link is cut: every relayed connection closes on both sides, new ones close as they come. */
  cut(): void {
    this.state = 'cut';
    for (const p of this.pairs) for (const s of [p.leaf, p.hub]) s.destroy();
    this.pairs.clear();
  }

  /** The link stalls: nothing is forwarded either way, nothing is closed, new connections are not answered. */
  stall(): void {
    this.state = 'stalled';
    this.stalledAt = Date.now();
    this.endsWhileStalled.length = 0;
  }

  /**
   * Forwards again. A stalled connection both of whose ends are still open gets what was held and
   * goes on; one an end has closed meanwhile is closed on the other end too (its next packet finds
   * no connection there: a reset), as is a connection held unanswered.
   */
  restore(): void {
    const wasStalled = this.state === 'stalled';
    this.state = 'linked';
    if (!wasStalled) return;
    for (const s of this.unanswered) s.destroy();
    this.unanswered.clear();
    for (const p of [...this.pairs]) {
      if (p.endedWhileStalled.size > 0) {
        for (const s of [p.leaf, p.hub]) s.destroy();
        this.pairs.delete(p);
        continue;
      }
      for (const chunk of p.held.toHub.splice(0)) p.hub.write(chunk);
      for (const chunk of p.held.toLeaf.splice(0)) p.leaf.write(chunk);
    }
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    this.cut();
    for (const s of this.unanswered) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
