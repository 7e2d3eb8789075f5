// Module resolution hook for Node without module.registerHooks (registered with module.register,
// off-thread): lets the function's bare `import`s find packages in $KUBELESS_INSTALL_VOLUME/
// node_modules and NODE_PATH, which Node's ESM resolver ignores, and a signature's shims
// (resolve-fallback.js). Node's own resolution runs first, so packages beside the function win,
// as with require.
import { createRequire } from 'node:module';

const { fallbacks } = createRequire(import.meta.url)('./resolve-fallback.js');

let lookups = fallbacks();

/** `data.dirs`: node_modules folders to fall back on, in order; `data.shims`: shim folders. */
export async function initialize(data) {
  lookups = fallbacks(data);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (!lookups.retries(err, specifier)) throw err;
    for (const parentURL of lookups.parents) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {
        // not in this folder: try the next one
      }
    }
    const url = lookups.shimUrl(specifier);
    if (url !== null) return { url, shortCircuit: true };
    throw err;
  }
}
