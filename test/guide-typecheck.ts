/**
 * The type-check of a repository, or of a copy of it, as `tsc -p <config>` makes it (the same
 * options, the same JSDoc parsing, the same diagnostics), through the compiler API: one program,
 * parsed and bound once, whose files are then checked a file or a directory at a time. A second
 * program over the same files (the guide's copy after the repository itself) takes each file whose
 * text is the same from the first, parsed and bound already, as tsc's watch mode does.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as TypeScript from 'typescript';

// Loaded by node itself, not through jest's module registry: compiled in jest's sandbox, the
// compiler ran markedly slower.
const ts = createRequire(__filename)('typescript') as typeof TypeScript;

export interface TypeCheck {
  /** What tsc reports before any file is checked: the configuration, the options, every file's syntax, the global declarations. */
  readonly before: () => string;
  /** What tsc reports of the program's own files directly in `dir` (relative to the root; '.' for the root). */
  readonly semantic: (dir: string) => string;
  /** What tsc reports of the program's own file `file` (relative to the root). */
  readonly semanticOf: (file: string) => string;
  /** What tsc reports of every file the program reads but those named (relative): node_modules/'s declarations, our own ones (`skipLibCheck` skips them all). */
  readonly others: (checked: readonly string[]) => string;
  /** The program's own files (relative, sorted), those `semanticOf` is asked for. */
  readonly files: () => string[];
  /** The directories (relative, '.' for the root) of the program's own files, those `semantic` is asked for. */
  readonly directories: () => string[];
  /** The program's parsed files, by name, for another program over the same files. */
  readonly sources: ReadonlyMap<string, TypeScript.SourceFile>;
}

export interface TypeCheckOptions {
  /** Directories (relative) whose files are read for their types and syntax, not checked (as `// @ts-nocheck` would have them). */
  readonly unchecked?: readonly string[];
  /** The files are named as if `root` were this directory (so that `reuse`'s files, named there, can be taken as they are); they are read from `root`. */
  readonly seenAs?: string;
  /** The type-check whose parsed files are taken for the files whose name and text are the same. */
  readonly reuse?: TypeCheck;
}

/**
 * The program of `config` in `root`. Its own files are those outside node_modules/ and outside the
 * directories `unchecked` names.
 */
export function typeCheck(root: string, config: string, options: TypeCheckOptions = {}): TypeCheck {
  const at = options.seenAs ?? root;
  const within = (dir: string, file: string) => file === dir || file.startsWith(`${dir}${path.sep}`);
  // Each name under `at` is read from the same place under `root`; what leaves `root` (its links
  // to node_modules/ and imports/) keeps its real name, as in a program made in `root` itself.
  const read = (file: string) => (within(at, file) ? path.join(root, path.relative(at, file)) : file);
  const named = (file: string) => (within(root, file) ? path.join(at, path.relative(root, file)) : file);
  const sys: TypeScript.System =
    at === root
      ? ts.sys
      : {
          ...ts.sys,
          fileExists: (f) => ts.sys.fileExists(read(f)),
          readFile: (f, encoding) => ts.sys.readFile(read(f), encoding),
          directoryExists: (d) => ts.sys.directoryExists(read(d)),
          getDirectories: (d) => ts.sys.getDirectories(read(d)),
          readDirectory: (d, extensions, exclude, include, depth) =>
            ts.sys.readDirectory(read(d), extensions, exclude, include, depth).map(named),
          realpath: (f) => named(ts.sys.realpath!(read(f))),
        };
  const parsed = parseConfig(at, config, sys);
  const host = ts.createCompilerHost(parsed.options);
  Object.assign(host, {
    fileExists: sys.fileExists,
    readFile: sys.readFile,
    directoryExists: sys.directoryExists,
    getDirectories: sys.getDirectories,
    realpath: sys.realpath,
  });
  // tsc's own choice: JSDoc only where it matters to the checker (TypeScript 5.3+).
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  const sources = new Map<string, TypeScript.SourceFile>();
  const parse = host.getSourceFile.bind(host);
  const reused = options.reuse?.sources;
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const earlier = reused?.get(fileName);
    const same =
      earlier !== undefined &&
      !shouldCreate &&
      (typeof languageVersion === 'object'
        ? earlier.languageVersion === languageVersion.languageVersion && earlier.impliedNodeFormat === languageVersion.impliedNodeFormat
        : earlier.languageVersion === languageVersion) &&
      earlier.text === host.readFile(fileName);
    const file = same ? earlier : parse(fileName, languageVersion, onError, shouldCreate);
    if (file !== undefined) sources.set(fileName, file);
    return file;
  };
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    host,
    configFileParsingDiagnostics: parsed.errors,
  });
  // Binds every file (the checker's first step), so that each file's check is only its own.
  program.getTypeChecker();
  const relative = (file: TypeScript.SourceFile) => path.relative(at, file.fileName);
  const unchecked = options.unchecked ?? [];
  const isOwn = (f: TypeScript.SourceFile) =>
    !relative(f).split(path.sep).includes('node_modules') && !unchecked.some((dir) => relative(f).startsWith(`${dir}/`));
  const own = program.getSourceFiles().filter(isOwn);
  const ownByName = new Map(own.map((f) => [relative(f), f]));
  const dirOf = (f: TypeScript.SourceFile) => path.dirname(relative(f));
  const semantic = (files: readonly TypeScript.SourceFile[]) =>
    format(
      at,
      files.flatMap((f) => program.getSemanticDiagnostics(f)),
    );
  return {
    before: () =>
      format(at, [
        ...program.getConfigFileParsingDiagnostics(),
        ...program.getOptionsDiagnostics(),
        ...program.getSyntacticDiagnostics(),
        ...program.getGlobalDiagnostics(),
      ]),
    semantic: (dir) => semantic(own.filter((f) => dirOf(f) === dir)),
    semanticOf: (file) => {
      const f = ownByName.get(file);
      if (f === undefined) throw new Error(`${file} is not one of the program's own files`);
      return semantic([f]);
    },
    others: (checked) => {
      const skip = new Set(checked);
      return semantic(program.getSourceFiles().filter((f) => !skip.has(relative(f))));
    },
    files: () => [...ownByName.keys()].sort(),
    directories: () => [...new Set(own.map(dirOf))].sort(),
    sources,
  };
}

/** The files `config` in `root` names (its `files` and what its `include` finds), relative and sorted. */
export function configuredFiles(root: string, config: string): string[] {
  return parseConfig(root, config, ts.sys)
    .fileNames.map((f) => path.relative(root, f))
    .sort();
}

/** `config` in `root` as tsc reads it; throws what makes it unreadable. */
function parseConfig(root: string, config: string, sys: TypeScript.System): TypeScript.ParsedCommandLine {
  const errors: TypeScript.Diagnostic[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, config), undefined, {
    ...sys,
    onUnRecoverableConfigFileDiagnostic: (d) => errors.push(d),
  });
  if (parsed === undefined) throw new Error(format(root, errors));
  return parsed;
}

/** As tsc prints them, with paths relative to the root. */
function format(root: string, diagnostics: readonly TypeScript.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  });
}
