'use strict';
// Loads the function's module once and picks the handler as Kubeless did (CONTRACT §1.3):
// CommonJS through require, ES modules through import().

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { pathToFileURL } = require('node:url');
const { LoadError } = require('./source');

/**
 * Makes the install volume's packages visible to the function: for `require` through NODE_PATH
 * (re-read with Module._initPaths, as Node reads it only at start-up), for `import` through a
 * resolution hook, since Node's ESM resolver ignores NODE_PATH. Node's normal lookup (node_modules
 * beside the function and above) still comes first, as it did for Kubeless's NODE_PATH.
 */
function setUpDependencyPaths(installVolume) {
  const extra = [];
  if (installVolume) extra.push(path.resolve(installVolume, 'node_modules'));
  const current = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
  const all = [...new Set([...extra, ...current])];
  if (all.length === 0) return;
  if (extra.length > 0) {
    process.env.NODE_PATH = all.join(path.delimiter);
    Module._initPaths();
  }
  // The hook resolves from a node_modules folder's parent: NODE_PATH entries named otherwise
  // are left to require alone (see README).
  const dirs = all.filter((dir) => path.basename(dir) === 'node_modules');
  if (dirs.length > 0 && typeof Module.register === 'function') {
    Module.register('./esm-resolve-hook.mjs', pathToFileURL(__filename), { data: { dirs } });
  }
}

/** Whether a .js file is an ES module: `"type": "module"` in its nearest package.json. */
function isEsmJs(file) {
  let dir = path.dirname(file);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module';
      } catch {
        return false; // Node itself reports a broken package.json when it loads the module
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
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

/** Imports the module and returns its handler; every failure is a LoadError. */
async function loadHandler(file, functionName, installVolume) {
  setUpDependencyPaths(installVolume);
  const ext = path.extname(file);
  const esm = ext === '.mjs' || (ext === '.js' && isEsmJs(file));
  let loaded;
  try {
    loaded = esm ? await import(pathToFileURL(file).href) : require(file);
  } catch (err) {
    const reason = err instanceof SyntaxError ? `syntax error: ${err.message}`
      : `${err?.name || 'Error'} while loading the module: ${err?.message ?? err}`;
    throw new LoadError(reason, { cause: err, showStack: true });
  }
  return esm ? pickEsm(loaded, functionName) : pickCommonJs(loaded, functionName);
}

module.exports = { loadHandler };
