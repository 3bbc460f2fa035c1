// The guide's type-check (test/guide-typecheck.ts) in a worker thread of its own: `tsc -p <config>`
// of a copy of the repository through the compiler API (the same options, JSDoc parsed only where
// the checker needs it, as tsc does), parsed and bound once, then checked a directory at a time.
// In a thread because TypeScript keeps its last program reachable from its own module (about 220
// MB of a jest worker's heap after the program is dropped, which every later test file of that
// worker then carried through its collections): the thread's heap goes with the thread.
const path = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');
const ts = require('typescript');

/** As tsc prints them, with paths relative to the copy. */
function format(root, diagnostics) {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  });
}

/** What tsc reports before any file is checked, the directories of the program's own files and each one's diagnostics. */
function check({ root, config, unchecked }) {
  const configErrors = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, config), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d),
  });
  if (parsed === undefined) return { error: format(root, configErrors) };
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
  const relative = (file) => path.relative(root, file.fileName);
  const own = program
    .getSourceFiles()
    .filter((f) => !relative(f).split(path.sep).includes('node_modules') && !unchecked.some((dir) => relative(f).startsWith(`${dir}/`)));
  const dirOf = (f) => path.dirname(relative(f));
  const before = format(root, [
    ...program.getConfigFileParsingDiagnostics(),
    ...program.getOptionsDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getGlobalDiagnostics(),
  ]);
  const directories = [...new Set(own.map(dirOf))].sort();
  const semantic = Object.fromEntries(
    directories.map((dir) => [
      dir,
      format(
        root,
        own.filter((f) => dirOf(f) === dir).flatMap((f) => program.getSemanticDiagnostics(f)),
      ),
    ]),
  );
  return { before, directories, semantic };
}

try {
  parentPort.postMessage(check(workerData));
} catch (err) {
  parentPort.postMessage({ error: String(err && err.stack ? err.stack : err) });
}
