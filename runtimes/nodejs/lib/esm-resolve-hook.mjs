// Module resolution hook (registered with module.register): lets the function's bare `import`s
// find packages in $KUBELESS_INSTALL_VOLUME/node_modules and NODE_PATH, which Node's ESM resolver
// ignores. Node's own resolution runs first, so packages beside the function win, as with require.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let parents = [];

/** `data.dirs`: node_modules folders to fall back on, in order. */
export async function initialize(data) {
  // Resolving from a (non-existent) file in the folder above a node_modules makes Node look in it
  // with full package semantics (exports, conditions, main).
  parents = (data?.dirs ?? []).map((dir) => pathToFileURL(path.join(path.dirname(dir), '__kubeless_resolve__.mjs')).href);
}

function isBare(specifier) {
  return !/^(?:\.{0,2}\/|[a-zA-Z][a-zA-Z0-9+.-]*:|#)/.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) throw err;
    for (const parentURL of parents) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {
        // not in this folder: try the next one
      }
    }
    throw err;
  }
}
