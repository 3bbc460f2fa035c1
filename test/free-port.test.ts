import * as fs from 'node:fs';
import * as net from 'node:net';
import { freePorts } from './free-port';

const ephemeralLow = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
// With an ephemeral range starting too low to leave room below it, ports come from the kernel (port 0).
const belowRange = ephemeralLow - 10_000 >= 8 * 500 ? it : it.skip;

const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

async function portsOfWorker(id: string, count: number): Promise<number[]> {
  const saved = process.env.JEST_WORKER_ID;
  process.env.JEST_WORKER_ID = id;
  try {
    return await freePorts(count);
  } finally {
    process.env.JEST_WORKER_ID = saved;
  }
}

describe('free ports for test servers', () => {
  belowRange('are distinct, free, and below the kernel’s ephemeral range (where no bind to port 0 lands)', async () => {
    const ports = await freePorts(30);
    expect(new Set(ports).size).toBe(30);
    for (const port of ports) expect(await bindable(port)).toBe(true);
    expect(Math.max(...ports)).toBeLessThan(ephemeralLow);
    expect(Math.min(...ports)).toBeGreaterThanOrEqual(10_000);
  });

  belowRange('come from disjoint shares for two jest workers', async () => {
    const [first, second] = [await portsOfWorker('1', 20), await portsOfWorker('2', 20)];
    expect(Math.max(...first) < Math.min(...second) || Math.max(...second) < Math.min(...first)).toBe(true);
  });
});
