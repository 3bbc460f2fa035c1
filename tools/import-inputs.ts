/**
 * Part of `npm run import`: obtains every upstream file of tools/upstream-inputs.ts, from a mirror
 * directory or over https, and checks each against its recorded sha256. Nothing is written: the
 * caller touches imports/ only once every file has been obtained and verified.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UpstreamFile, UpstreamInputs } from './upstream-inputs';

/** Inputs that could not be obtained or did not match their digest: one line per file. */
export class InputError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'InputError';
  }
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every upstream file of the table, once each. */
export function upstreamFiles(inputs: UpstreamInputs): UpstreamFile[] {
  const byPath = new Map<string, UpstreamFile>();
  for (const file of [...inputs.crds, ...Object.values(inputs.kubernetes), ...Object.values(inputs.ci)]) byPath.set(file.mirrorPath, file);
  return [...byPath.values()];
}

function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.message || cause?.code) return cause.message ?? cause.code!;
  return err instanceof Error ? err.message : String(err);
}

async function download(url: string, timeoutMs: number): Promise<Buffer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  return Buffer.from(await response.arrayBuffer());
}

export interface ObtainOptions {
  /** Directory holding each file at its `mirrorPath`; without it, every file is fetched from its URL. */
  readonly mirror?: string;
  /** Per download (default two minutes). */
  readonly timeoutMs?: number;
}

/** The verified bytes of every file, by mirror path; throws InputError naming every bad one. */
export async function obtainInputs(files: readonly UpstreamFile[], options: ObtainOptions = {}): Promise<Map<string, Buffer>> {
  const { mirror, timeoutMs = 120_000 } = options;
  const results = await Promise.all(
    files.map(async (file): Promise<{ file: UpstreamFile; data?: Buffer; problem?: string }> => {
      const where = mirror !== undefined ? path.join(mirror, file.mirrorPath) : file.url;
      let data: Buffer;
      try {
        data = mirror !== undefined ? fs.readFileSync(where) : await download(file.url, timeoutMs);
      } catch (err) {
        const why = (err as { code?: string }).code === 'ENOENT' ? 'not in the mirror' : reason(err);
        return { file, problem: `${where}: ${why}; expected sha256 ${file.sha256}` };
      }
      const actual = sha256(data);
      if (actual !== file.sha256) return { file, problem: `${where}: sha256 is ${actual}, expected ${file.sha256}` };
      return { file, data };
    }),
  );
  const problems = results.flatMap((r) => (r.problem !== undefined ? [r.problem] : []));
  if (problems.length > 0) throw new InputError(problems);
  return new Map(results.map((r) => [r.file.mirrorPath, r.data!]));
}
