'use strict';
// Loads the function's module once and picks the handler as Kubeless did (CONTRACT §1.3): every
// file through import(), CommonJS handlers picked from module.exports.

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { pathToFileURL } = require('node:url');
const { LoadError } = require('./source');
const { syncResolver } = require('./resolve-fallback');

/**
 * `NODE_PATH` for the worker's environment: the install volume's node_modules, then what
 * NODE_PATH already held, then `last` (a signature's shims: lib/signatures/index.js
 * modulePaths). The supervisor forks the worker with it, so `require` reads it at start-up as
 * Node always does (CONTRACT §9); the function's own packages come first.
 */
function nodePath(installVolume, current = process.env.NODE_PATH, last = []) {
  const extra = installVolume ? [path.resolve(installVolume, 'node_modules')] : [];
  const all = [...new Set([...extra, ...(current || '').split(path.delimiter).filter(Boolean), ...last])];
  return all.join(path.delimiter);
}

/**
 * Node's ES module resolver ignores NODE_PATH: a resolution hook retries bare `import`s that
 * Node could not find from its node_modules folders. Node's normal lookup (node_modules beside
 * the function and above) still comes first, as it did for Kubeless's NODE_PATH. `shims`: folders
 * laid out as `<folder>/<package name>/…` (a signature's stand-in packages), tried last.
 */
function registerImportHook(shims = []) {
  // The hook resolves from a node_modules folder's parent: NODE_PATH entries named otherwise
  // are left to require alone (see README), but for the shims, which the hook maps itself.
  const entries = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
  const dirs = entries.filter((dir) => path.basename(dir) === 'node_modules');
  if (dirs.length === 0 && shims.length === 0) return;
  if (typeof Module.registerHooks === 'function') {
    // In-thread (Node 22.15+), and without module.register's deprecation warning (Node 26).
    Module.registerHooks({ resolve: syncResolver({ dirs, shims }) });
  } else if (typeof Module.register === 'function') {
    Module.register('./esm-resolve-hook.mjs', pathToFileURL(__filename), { data: { dirs, shims } });
  }
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function pickCommonJs(exported, functionName) {
  if (typeof exported === 'function') return exported;
  if (exported !== null && (typeof exported === 'object') && functionName in exported) {
    const candidate = exported[functionName];
    if (typeof candidate === 'function') return candidate.bind(exported);
    throw new LoadError(`${functionName} is not a function (it is ${describe(candidate)})`);
  }
  throw new LoadError(`the module has no function ${functionName}`);
}

function pickEsm(namespace, functionName) {
  if (typeof namespace[functionName] === 'function') return namespace[functionName];
  if (functionName in namespace && functionName !== 'default') {
    throw new LoadError(`${functionName} is not a function (it is ${describe(namespace[functionName])})`);
  }
  const fallback = namespace.default;
  if (typeof fallback === 'function') return fallback;
  if (fallback !== null && typeof fallback === 'object' && typeof fallback[functionName] === 'function') {
    return fallback[functionName].bind(fallback);
  }
  throw new LoadError(`the module has no function ${functionName} (no such export, and no default export holding one)`);
}

/**
 * Imports the module and returns its handler; every failure is a LoadError. Every file goes
 * through import(): Node itself decides CommonJS or ES module (extension, the package.json
 * "type", and the module's syntax), so `export default function` in a plain .js file loads. A
 * CommonJS module is the one that landed in require.cache; its handler is picked from
 * module.exports, as Kubeless did. `shims`: registerImportHook's.
 */
async function loadHandler(file, functionName, { shims = [] } = {}) {
  const loaded = await loadModule(file, { shims });
  return loaded.commonJs ? pickCommonJs(loaded.exports, functionName) : pickEsm(loaded.exports, functionName);
}

/**
 * Imports the module: `{commonJs, exports}`, its module.exports (CommonJS) or its namespace (an ES
 * module). A failure is a LoadError. For adapters that need more of the module than one function
 * (knative: its lifecycle hooks). `shims`: registerImportHook's.
 */
async function loadModule(file, { shims = [] } = {}) {
  registerImportHook(shims);
  let namespace;
  try {
    namespace = await import(pathToFileURL(file).href);
  } catch (err) {
    const reason = err instanceof SyntaxError ? `syntax error: ${err.message}`
      : `${err?.name || 'Error'} while loading the module: ${err?.message ?? err}`;
    throw new LoadError(reason, { cause: err, showStack: true });
  }
  const commonJs = require.cache[fs.realpathSync(file)];
  return commonJs !== undefined ? { commonJs: true, exports: commonJs.exports } : { commonJs: false, exports: namespace };
}

module.exports = { loadHandler, loadModule, pickCommonJs, pickEsm, nodePath };
