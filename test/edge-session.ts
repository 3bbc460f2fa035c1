/**
 * A client session held open through the edge (a keep-alive, HTTP/2 or WebSocket connection): the
 * lines the site sent back, and whether the connection is closed. Used by the tests of what the
 * edge does with the open sessions of a site it marks down.
 */
import * as net from 'node:net';
import type { RunningEdge } from './edge-run';

const CLIENT = '127.0.0.7';
/** Bounds a hang only: HAProxy closes a session as it marks its server down. */
const ANSWER_WITHIN_MS = 10_000;

/** A client connection kept open through the edge: the lines it received, and whether it is closed. */
export class Session {
  private readonly socket: net.Socket;
  private received = '';
  closed = false;
  private readonly waiters = new Set<() => void>();

  constructor(port: number, firstRequest: string) {
    this.socket = net.connect({ host: '127.0.0.1', port, localAddress: CLIENT });
    this.socket.on('connect', () => this.socket.write(firstRequest));
    this.socket.on('data', (d) => this.changed(() => (this.received += d.toString())));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => this.changed(() => (this.closed = true)));
  }

  private changed(update: () => void): void {
    update();
    for (const wake of this.waiters) wake();
  }

  private lines(): string[] {
    return this.received.split('\n').slice(0, -1);
  }

  /** Waits until a received line satisfies `match` ('' if the session closes first). */
  private waitLine(match: (line: string) => boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const line = this.lines().find(match);
        if (line === undefined && !this.closed) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(line ?? '');
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no answer and not closed within ${ANSWER_WITHIN_MS} ms; received ${JSON.stringify(this.received)}`));
      }, ANSWER_WITHIN_MS);
      this.waiters.add(check);
      check();
    });
  }

  /** The site that answered the session's first request. */
  async site(): Promise<string> {
    return (await this.waitLine(() => true)).split(' ')[0]!;
  }

  /** Sends `word` on the session without waiting for its answer. */
  write(word: string): void {
    if (!this.closed) this.socket.write(`${word}\n`);
  }

  /** The site's answer to `word` once it comes, or 'closed' if the session closes first. */
  async answerTo(word: string): Promise<string> {
    const line = await this.waitLine((l) => l.endsWith(` ${word}`));
    return line === '' ? 'closed' : line;
  }

  /** Whether the site's answer to `word` has arrived. */
  hasAnswer(word: string): boolean {
    return this.lines().some((l) => l.endsWith(` ${word}`));
  }

  /** Sends `word` on the session and returns the site's answer to it, or 'closed'. */
  async send(word: string): Promise<string> {
    this.write(word);
    return this.answerTo(word);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The sessions a test holds open through the edge: one on 443 (a TLS client's first bytes), one on 80. */
export type EdgeSessions = Record<'https' | 'http', Session>;

/**
 * Starts `edge`, opens a session on 443 and one on 80 through it, checks that `site` answers on
 * each, runs `body` with them, then closes them and stops the edge, whatever happened.
 */
export async function withEdgeSessions<T>(edge: RunningEdge, site: string, body: (sessions: EdgeSessions) => Promise<T>): Promise<T> {
  const opened: Session[] = [];
  try {
    await edge.start();
    const open = (port: number, firstRequest: string) => {
      const session = new Session(port, firstRequest);
      opened.push(session);
      return session;
    };
    const sessions: EdgeSessions = {
      https: open(edge.ports.https, 'hello\n'),
      http: open(edge.ports.http, `GET / HTTP/1.1\r\nHost: images.chataik.fr\r\n\r\n`),
    };
    for (const [port, session] of Object.entries(sessions)) {
      expect([port, await session.site()]).toEqual([port, site]);
      expect([port, await session.send('before')]).toEqual([port, `${site} before`]);
    }
    return await body(sessions);
  } finally {
    for (const session of opened) session.destroy();
    await edge.stop();
  }
}

/** The rendered haproxy.cfg with `on-marked-down shutdown-sessions` removed (a broken render). */
export function withoutShutdownSessions(text: string): string {
  if (!text.includes(' on-marked-down shutdown-sessions')) throw new Error('the rendered file has no on-marked-down shutdown-sessions');
  return text.split(' on-marked-down shutdown-sessions').join('');
}
