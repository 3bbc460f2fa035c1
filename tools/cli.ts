/**
 * The strict command line every entry point shares (synth, validate, capacity, diff, bench,
 * aws-stack, import): Node's util.parseArgs with unknown flags, missing values and stray
 * arguments refused. A bad command line prints one line saying what is wrong and the usage line,
 * and exits 2; `--help` prints the usage and the options, and exits 0.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestName } from '../model/suggest';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** A command: its usage line, its options and one line of help for each. */
export interface CommandSpec<T extends OptionsConfig> {
  /** Name in messages, e.g. `synth`. */
  readonly name: string;
  /** How it is called, e.g. `npm run synth -- [--site NAME]... [--check]`. */
  readonly usage: string;
  /** The options, as util.parseArgs takes them. */
  readonly options: T;
  /** One line per option, printed by --help. */
  readonly help: Readonly<Record<keyof T & string, string>>;
}

/** Ends the command before it runs: `--help` (exit 0) or a bad command line (exit 2). */
export class CommandLineExit extends Error {
  constructor(
    message: string,
    readonly exitCode: 0 | 2,
  ) {
    super(message);
    this.name = 'CommandLineExit';
  }
}

/** What parseArgs gives for `T`: a string (or string[] when `multiple`) or boolean per option, undefined when absent. */
type Values<T extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>
>['values'];

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

function helpText<T extends OptionsConfig>(spec: CommandSpec<T>): string {
  const rows = Object.entries(spec.options).map(([name, o]) => [`--${name}${o.type === 'string' ? ' <value>' : ''}`, spec.help[name]!]);
  rows.push(['--help, -h', 'print this help and exit']);
  const width = Math.max(...rows.map(([flag]) => flag!.length));
  return [`usage: ${spec.usage}`, ...rows.map(([flag, text]) => `  ${flag!.padEnd(width)}  ${text}`)].join('\n');
}

/** Node's message, on one line, with a hint when an unknown flag is close to a known one. */
function describe(err: Error & { code?: string }, known: readonly string[]): string {
  const first = err.message.split('\n')[0]!;
  const unknown = /^Unknown option '(--?[^']+)'/.exec(first)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== undefined) {
    const meant = closestName(unknown.replace(/^--?/, ''), known);
    return `unknown option ${unknown}${meant ? ` (did you mean --${meant}?)` : ''}`;
  }
  const valueless = /^Option '(--?[^' ]+)(?: <value>)?' argument (?:is ambiguous|missing)/.exec(first)?.[1];
  if (valueless !== undefined) return `option ${valueless} needs a value`;
  return first.replace(/^Option '([^']+)'/, 'option $1').replace(/^Unexpected argument/, 'unexpected argument');
}

/**
 * Parses `argv` against `spec`. Throws CommandLineExit for --help and for a bad command line;
 * `runCommand` prints it and sets the exit code.
 */
export function parseCommandLine<const T extends OptionsConfig>(spec: CommandSpec<T>, argv: readonly string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { ...spec.options, ...HELP }, strict: true, allowPositionals: false });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'))
      throw usageError(spec, describe(err as Error, Object.keys(spec.options)));
    throw err;
  }
  if ((parsed.values as Record<string, unknown>).help === true) throw new CommandLineExit(helpText(spec), 0);
  return parsed.values as Values<T>;
}

/** A bad command line found after parsing (a value out of its range, a flag that needs another). */
export function usageError<T extends OptionsConfig>(spec: CommandSpec<T>, problem: string): CommandLineExit {
  return new CommandLineExit(`${spec.name}: ${problem}\nusage: ${spec.usage}`, 2);
}

/** Runs an entry point's main, turning CommandLineExit into its output and exit code. */
export function runCommand(main: () => number | Promise<number>): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => (process.exitCode = code),
      (err: unknown) => {
        if (!(err instanceof CommandLineExit)) throw err;
        if (err.exitCode === 0) console.log(err.message);
        else console.error(err.message);
        process.exitCode = err.exitCode;
      },
    );
}
