/**
 * The type-check of a copy of the repository, as `tsc -p <config>` makes it (the same options, the
 * same JSDoc parsing, the same diagnostics), through the compiler API: one program, parsed and
 * bound once, whose files are then checked a directory at a time.
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
  /** What tsc reports of the program's files directly in `dir` (relative to the copy; '.' for its root). */
  readonly semantic: (dir: string) => string;
  /** The directories (relative, '.' for the root) of the program's own files, those `semantic` is asked for. */
  readonly directories: () => string[];
}

/**
 * The program of `config` in `root`. Its own files are those outside node_modules/ and outside the
 * directories `unchecked` names, whose files are read for their types and syntax, not checked (as
 * `// @ts-nocheck` would have them).
 */
export function typeCheck(root: string, config: string, unchecked: readonly string[]): TypeCheck {
  const configErrors: TypeScript.Diagnostic[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, config), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d),
  });
  if (parsed === undefined) throw new Error(format(root, configErrors));
  const host = ts.createCompilerHost(parsed.options);
  // tsc's own choice: JSDoc only where it matters to the checker (TypeScript 5.3+).
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    host,
    configFileParsingDiagnostics: parsed.errors,
  });
  // Binds every file (the checker's first step), so that each directory's check is only its own.
  program.getTypeChecker();
  const relative = (file: TypeScript.SourceFile) => path.relative(root, file.fileName);
  const own = program
    .getSourceFiles()
    .filter((f) => !relative(f).split(path.sep).includes('node_modules') && !unchecked.some((dir) => relative(f).startsWith(`${dir}/`)));
  const dirOf = (f: TypeScript.SourceFile) => path.dirname(relative(f));
  return {
    before: () =>
      format(root, [
        ...program.getConfigFileParsingDiagnostics(),
        ...program.getOptionsDiagnostics(),
        ...program.getSyntacticDiagnostics(),
        ...program.getGlobalDiagnostics(),
      ]),
    semantic: (dir) =>
      format(
        root,
        own.filter((f) => dirOf(f) === dir).flatMap((f) => program.getSemanticDiagnostics(f)),
      ),
    directories: () => [...new Set(own.map(dirOf))].sort(),
  };
}

/** As tsc prints them, with paths relative to the copy. */
function format(root: string, diagnostics: readonly TypeScript.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  });
}
