/** What the synth printed when it found gitops/ up to date. */
export interface RecordedLines {
  /** The line of `npm run synth`. */
  readonly synth: string;
  /** The line of `npm run synth -- --check`. */
  readonly check: string;
}

/** A synth being recorded: its inputs and gitops/ digests were taken at its start. */
export interface SynthRecording {
  /** Records the run (it found nothing to change); false when gitops/ changed meanwhile. */
  save(lines: RecordedLines): boolean;
}

export declare function recordedRun(
  repo: string,
  programFiles: readonly string[],
  root: string,
  check: boolean,
): { stdout: string } | undefined;
export declare function startRecord(repo: string, programFiles: readonly string[], root: string): SynthRecording;
/** The synth's command-line options, as util.parseArgs takes them (main.ts, tools/run.mjs). */
export declare const SYNTH_OPTIONS: {
  readonly site: { readonly type: 'string'; readonly multiple: true };
  readonly check: { readonly type: 'boolean' };
  readonly out: { readonly type: 'string' };
};
