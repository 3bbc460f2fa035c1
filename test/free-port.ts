/**
 * Free TCP ports on loopback for the servers the tests start (PostgreSQL, nats-server, HAProxy,
 * the exporters), which bind a port they are given rather than one the kernel picks.
 *
 * A port found free by binding port 0 comes from the kernel's ephemeral range, the one it hands
 * to every other bind to port 0 (another jest worker's servers and port probes): between the probe
 * and the server's own bind, another process could get the same port, and the server would fail
 * to start. Ports here are taken below that range, where the kernel hands out none, and each jest
 * worker draws from its own share of it: within a jest run no two processes can choose the same
 * port, and a port found free stays free until the server binds it. (Another jest run on the same
 * machine draws from the same shares at random; the probe still skips a port it has taken.)
 */
import * as fs from 'node:fs';
import * as net from 'node:net';

/** The lowest port handed to a test server (above the usual services' registered ports in use here). */
const LOWEST = 10_000;
/** How many shares the range is cut into; jest worker N draws from share N modulo this. */
const SHARES = 8;
/**
 * When this process handed out each port: not again for a minute, the server it was for may not
 * have bound it yet (after that, the probe finds it taken if the server still runs).
 */
const handedOut = new Map<number, number>();
const REUSE_AFTER_MS = 60_000;

/** Whether `port` is ours to hand out now, recording it if so. */
function take(port: number): boolean {
  const at = handedOut.get(port);
  if (at !== undefined && Date.now() - at < REUSE_AFTER_MS) return false;
  handedOut.set(port, Date.now());
  return true;
}

/** The first port of the kernel's ephemeral range (ip_local_port_range), or undefined off Linux. */
function ephemeralLow(): number | undefined {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : undefined;
  } catch {
    return undefined;
  }
}

/** This worker's share of the ports below the ephemeral range; undefined if that range leaves too few. */
function share(): { first: number; size: number } | undefined {
  const low = ephemeralLow();
  if (low === undefined || low - LOWEST < SHARES * 500) return undefined;
  const size = Math.floor((low - LOWEST) / SHARES);
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  return { first: LOWEST + ((Number.isInteger(worker) ? worker : 1) % SHARES) * size, size };
}

/** Binds `port` on `host` and releases it; the port bound (the kernel's choice for port 0), or undefined if taken. */
function probe(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err),
    );
    server.listen(port, host, () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/** A TCP port free on `host` now, that no other jest worker of this run will be given. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const ours = share();
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = await probe(ours ? ours.first + Math.floor(Math.random() * ours.size) : 0, host);
    if (port !== undefined && take(port)) return port;
  }
  throw new Error(ours ? `no free port in ${ours.first}-${ours.first + ours.size - 1}` : 'no free port');
}

/** `count` distinct free TCP ports on 127.0.0.1. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  return ports;
}
