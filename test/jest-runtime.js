// jest's runtime with each module compiled as a vm.Script instead of by vm.compileFunction. Every
// test file runs in a context of its own and loads its modules again (about 640 for a test that
// renders a site: cdk8s, the k8s bindings, imports/, the charts); V8 keeps the compiled code of a
// script by its source and reuses it in the next context of the same worker, while a function
// compiled by compileFunction (jest's way) is compiled again each time. A module whose source
// holds `import(` keeps jest's compile, which gives dynamic imports their loader, and so does
// any source the wrapper fails to compile (jest then reports the error as it does).
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

/** `import(`, however spaced: a module holding one keeps jest's compile. */
const DYNAMIC_IMPORT = /\bimport\s*\(/;
let warned = false;

class ScriptCachingRuntime extends Runtime {
  constructor(...args) {
    super(...args);
    const executor = this.executor;
    if (typeof executor?.compile !== 'function' || !Array.isArray(executor.injectedModuleParameters)) {
      // Another jest-runtime than 30.5.2's shape: jest's own compile, and a line saying so.
      if (!warned) console.warn('test/jest-runtime.js: jest-runtime has changed shape; modules are compiled as jest compiles them');
      warned = true;
      return;
    }
    const compile = executor.compile.bind(executor);
    const wrapper = `(function (${executor.injectedModuleParameters.join(', ')}) {`;
    executor.compile = (source, filename) => {
      if (DYNAMIC_IMPORT.test(source) || executor.resolution.isCoreModule(filename)) return compile(source, filename);
      const context = executor.environment.getVmContext();
      if (context == null) return null;
      try {
        // On the wrapper's line, so that line numbers stay those of the source (and its source map).
        return new vm.Script(`${wrapper}${source}\n})`, { filename }).runInContext(context);
      } catch {
        return compile(source, filename);
      }
    };
  }
}

module.exports = ScriptCachingRuntime;
