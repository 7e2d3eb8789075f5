'use strict';
// Where a bare import that Node's own resolution could not find is looked for next (loader.js,
// CONTRACT §9): the NODE_PATH node_modules folders (Node's ES module resolver ignores
// NODE_PATH), then a signature's shims (stand-in packages laid out as `<folder>/<name>/…`, e.g.
// gcf's @google-cloud/functions-framework). Shared by the in-thread hook (module.registerHooks)
// and the off-thread one (esm-resolve-hook.mjs, for Node without registerHooks).

const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

function isBare(specifier) {
  return !/^(?:\.{0,2}\/|[a-zA-Z][a-zA-Z0-9+.-]*:|#)/.test(specifier);
}

/** `dirs`: node_modules folders; `shims`: shim folders. Returns the lookups a resolver tries. */
function fallbacks({ dirs = [], shims = [] } = {}) {
  // Resolving from a (non-existent) file in the folder above a node_modules makes Node look in it
  // with full package semantics (exports, conditions, main).
  const parents = dirs.map((dir) => pathToFileURL(path.join(path.dirname(dir), '__kubeless_resolve__.mjs')).href);

  /** The shim's file URL for a bare specifier (`pkg` → pkg/index.js, `pkg/sub` → pkg/sub.js), or null. */
  function shimUrl(specifier) {
    for (const dir of shims) {
      const base = path.join(dir, specifier);
      if (!base.startsWith(dir + path.sep)) continue;
      for (const file of [`${base}.js`, path.join(base, 'index.js')]) {
        if (fs.existsSync(file)) return pathToFileURL(file).href;
      }
    }
    return null;
  }

  /** Whether a failed resolution is one to retry. */
  function retries(err, specifier) {
    return (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') && isBare(specifier);
  }

  return { parents, shimUrl, retries };
}

/** The synchronous resolve hook (module.registerHooks). */
function syncResolver(options) {
  const { parents, shimUrl, retries } = fallbacks(options);
  return function resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (!retries(err, specifier)) throw err;
      for (const parentURL of parents) {
        try {
          return nextResolve(specifier, { ...context, parentURL });
        } catch {
          // not in this folder: try the next one
        }
      }
      const url = shimUrl(specifier);
      if (url !== null) return { url, shortCircuit: true };
      throw err;
    }
  };
}

module.exports = { fallbacks, syncResolver };
