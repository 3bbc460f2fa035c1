/**
 * Helpers for tests that run the real nats-server (Debian package `nats-server`) on loopback:
 * the environment a rendered pod would give the server, free ports, and a minimal client that
 * speaks the NATS text protocol (enough for request/reply and publish/subscribe).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { KubeObject } from '../pipeline/render';

export const NATS_SERVER = '/usr/sbin/nats-server';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}

/** A URL-safe dummy password per Secret, as Vault would hold one. */
export function dummyPassword(secretName: string): string {
  return `pw${secretName.replace(/[^a-z0-9]/gi, '')}`;
}

/**
 * The environment the nats container of a rendered StatefulSet gets: Secret keys as dummy
 * passwords, the pod name, and `$(VAR)` expanded the way the kubelet does.
 */
export function podEnv(statefulSet: KubeObject, podName: string): Record<string, string> {
  const spec = statefulSet.spec as { template: { spec: { containers: { name: string; env?: EnvVar[] }[] } } };
  const container = spec.template.spec.containers.find((c) => c.name === 'nats')!;
  const env: Record<string, string> = {};
  for (const v of container.env ?? []) {
    if (v.value !== undefined) env[v.name] = v.value.replace(/\$\(([A-Z0-9_]+)\)/g, (m, name: string) => env[name] ?? m);
    else if (v.valueFrom?.secretKeyRef) env[v.name] = dummyPassword(v.valueFrom.secretKeyRef.name);
    else if (v.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[v.name] = podName;
  }
  return env;
}

/** Runs `nats-server -t -c file` with the given environment only. */
export function checkConfig(dir: string, name: string, text: string, env: Record<string, string>): { status: number; output: string } {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  const r = spawnSync(NATS_SERVER, ['-t', '-c', file], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Ports below the kernel's ephemeral range, this jest worker's share (test/free-port.ts). */
export { freePorts } from './free-port';

/** The longest `eventually` waits with its defaults: 120 attempts 250 ms apart (each attempt's own request comes on top). */
export const EVENTUALLY_BOUND_MS = 120 * 250;

/**
 * A live test's jest timeout, consistent with its own waits: `waits` calls of `eventually` at
 * their bound, plus `extraMs` for fixed pauses and starting processes. A wait that runs out then
 * fails with its own message (what it waited for) before jest's generic timeout does, and servers
 * that start and elect leaders slower under two jest workers on two cores are still waited for.
 */
export function liveTimeout(waits: number, extraMs = 15_000): number {
  return waits * EVENTUALLY_BOUND_MS + extraMs;
}

/**
 * Polls `check` until it returns a value (not undefined) or the attempts run out. The first polls
 * come sooner (50, 100, 200 ms, then every `delayMs`): most conditions hold within a moment, and
 * waiting a full `delayMs` for each of them added up in the live tests. The bound is the same: it
 * gives up once it has slept `attempts * delayMs` in all.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, attempts = 120, delayMs = 250): Promise<T> {
  let last: unknown;
  const budgetMs = attempts * delayMs;
  for (let i = 0, slept = 0; slept < budgetMs; i++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    const pause = Math.min(delayMs, 50 * 2 ** i, budgetMs - slept);
    await new Promise((r) => setTimeout(r, pause));
    slept += pause;
  }
  throw new Error(`gave up waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** GETs a monitoring endpoint; undefined unless it answers 200. */
export async function monitor(port: number, pathAndQuery: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}${pathAndQuery}`);
  if (res.status !== 200) return undefined;
  return (await res.json()) as Record<string, unknown>;
}

/** Message headers (NATS/1.0 block): name -> value. */
export type Headers = Readonly<Record<string, string>>;

/** The header block of HPUB: `NATS/1.0`, one `Name: value` line each, an empty line. */
function headerBlock(headers: Headers): string {
  return `NATS/1.0\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

/**
 * A minimal NATS connection (text protocol, no TLS). Headers only when connected with
 * `headers: true`: the server then accepts HPUB and delivers messages that carry headers as HMSG,
 * whose header block is dropped here (the payload alone is kept).
 */
export class NatsConnection {
  private buffer = '';
  private waiters: ((line: string) => void)[] = [];
  /** `-ERR` lines not yet answered by the PONG that follows them. */
  private readonly errors: string[] = [];
  private readonly messages = new Map<string, string[]>();
  /** Reply subjects of the messages received, by subject (a JetStream delivery's reply is its ack subject). */
  private readonly replies = new Map<string, string[]>();
  /** Subject subscribed to, by subscription id. */
  private readonly subscriptions = new Map<string, string>();
  private sid = 0;
  private greeted = false;
  /** This connection's own inbox prefix, unique as a real client's: two requests made at once on two sites must not share an inbox. */
  private readonly inboxPrefix: string;

  private constructor(
    private readonly socket: net.Socket,
    inboxRoot: string,
  ) {
    this.inboxPrefix = `${inboxRoot}.test${randomBytes(6).toString('hex')}`;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.drain();
    });
    socket.on('close', () => this.closed());
  }

  /**
   * `inboxRoot` is what a client's inbox prefix option sets (`nats --inbox-prefix`); NATS clients
   * default to `_INBOX`. `headers`: whether the client speaks headers (needed to publish with a
   * `Nats-Msg-Id`).
   */
  static async connect(port: number, user: string, pass: string, inboxRoot = '_INBOX', headers = false): Promise<NatsConnection> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const conn = new NatsConnection(socket, inboxRoot);
    await conn.nextLine(); // INFO
    const connect = { verbose: false, pedantic: false, user, pass, lang: 'test', version: '0', protocol: 1, headers };
    socket.write(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`);
    const answer = await conn.nextLine();
    if (answer !== 'PONG') throw new Error(`connect refused: ${answer}`);
    return conn;
  }

  private drain(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) return;
      const line = this.buffer.slice(0, end);
      const withHeaders = line.startsWith('HMSG ');
      if (line.startsWith('MSG ') || withHeaders) {
        const parts = line.split(' ');
        const size = Number(parts[parts.length - 1]);
        if (this.buffer.length < end + 2 + size + 2) return;
        // HMSG <subject> <sid> [reply] <header size> <total size>: the headers come first.
        const headerSize = withHeaders ? Number(parts[parts.length - 2]) : 0;
        const payload = this.buffer.slice(end + 2 + headerSize, end + 2 + size);
        this.buffer = this.buffer.slice(end + 2 + size + 2);
        if (withHeaders) parts.splice(parts.length - 2, 1);
        // MSG <subject> <sid> [reply] <size>: filed under the subscription (a JetStream delivery
        // carries the message's own subject, not the inbox it was pulled into).
        const subscribed = this.subscriptions.get(parts[2]!) ?? parts[1]!;
        const list = this.messages.get(subscribed) ?? [];
        list.push(payload);
        this.messages.set(subscribed, list);
        const replies = this.replies.get(subscribed) ?? [];
        replies.push(parts.length === 5 ? parts[3]! : '');
        this.replies.set(subscribed, replies);
        continue;
      }
      this.buffer = this.buffer.slice(end + 2);
      if (line === 'PING') this.socket.write('PONG\r\n');
      // After the first, INFO is the server telling of a change in its cluster (a server restarted):
      // not an answer to anything asked.
      else if (line.startsWith('INFO ') && this.greeted) continue;
      // An error (a permission violation) comes before the PONG of the PING sent after the
      // command: the two are one answer, the error's, or that PONG would answer the next command.
      else if (line.startsWith('-ERR')) this.errors.push(line);
      else if (line === 'PONG' && this.errors.length > 0) this.waiters.shift()?.(this.errors.splice(0).join('; '));
      else {
        if (line.startsWith('INFO ')) this.greeted = true;
        this.waiters.shift()?.(line);
      }
    }
  }

  /** An error the server closed the connection after (no PONG follows): the answer of the command waiting. */
  private closed(): void {
    if (this.errors.length > 0) this.waiters.shift()?.(this.errors.splice(0).join('; '));
  }

  private nextLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer from nats-server')), 5000);
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  /** Subscribes and waits until the server has processed it; returns the subject's inbox of payloads. */
  async subscribe(subject: string): Promise<string[]> {
    const list: string[] = [];
    this.messages.set(subject, list);
    this.subscriptions.set(String(++this.sid), subject);
    this.socket.write(`SUB ${subject} ${this.sid}\r\nPING\r\n`);
    const answer = await this.nextLine();
    if (answer !== 'PONG') throw new Error(`subscribe ${subject}: ${answer}`);
    return list;
  }

  /** Publishes (HPUB if `headers` are given) and waits until the server has processed it (a permission error shows up here). */
  async publish(subject: string, payload: string, reply?: string, headers?: Headers): Promise<void> {
    const to = `${subject}${reply ? ` ${reply}` : ''}`;
    const size = Buffer.byteLength(payload);
    if (headers) {
      const block = headerBlock(headers);
      const headerSize = Buffer.byteLength(block);
      this.socket.write(`HPUB ${to} ${headerSize} ${headerSize + size}\r\n${block}${payload}\r\nPING\r\n`);
    } else this.socket.write(`PUB ${to} ${size}\r\n${payload}\r\nPING\r\n`);
    const answer = await this.nextLine();
    if (answer !== 'PONG') throw new Error(`publish ${subject}: ${answer}`);
  }

  /**
   * Request/reply: publishes with a fresh inbox and waits for the first answer, up to `answerWithinMs`
   * (a caller that retries passes less: a JetStream publish made while a stream has no leader is
   * never answered, and waiting the full 10 s for it was most of a leader-loss test).
   */
  async request(subject: string, payload: string, answerWithinMs = 10_000, headers?: Headers): Promise<string> {
    const inbox = `${this.inboxPrefix}.${++this.sid}`;
    const answers = await this.subscribe(inbox);
    await this.publish(subject, payload, inbox, headers);
    return eventually(`an answer on ${subject}`, async () => answers[0], Math.ceil(answerWithinMs / 50), 50);
  }

  /** Request/reply collecting every answer that arrives within `windowMs` (two answers show a duplicate). */
  async requestAll(subject: string, payload: string, windowMs = 1500): Promise<string[]> {
    const inbox = `${this.inboxPrefix}.${++this.sid}`;
    const answers = await this.subscribe(inbox);
    await this.publish(subject, payload, inbox);
    await eventually(`an answer on ${subject}`, async () => answers[0], 200, 50);
    await new Promise((r) => setTimeout(r, windowMs));
    return [...answers];
  }

  /** Request/reply collecting whatever answers within `windowMs`, none at all included (a site that must not store a job). */
  async answersWithin(subject: string, payload: string, windowMs: number): Promise<string[]> {
    const inbox = `${this.inboxPrefix}.${++this.sid}`;
    const answers = await this.subscribe(inbox);
    await this.publish(subject, payload, inbox);
    await new Promise((r) => setTimeout(r, windowMs));
    return [...answers];
  }

  /** Reply subjects of the messages received on `subject`, in arrival order. */
  repliesOf(subject: string): string[] {
    return this.replies.get(subject) ?? [];
  }

  close(): void {
    this.socket.destroy();
  }
}
