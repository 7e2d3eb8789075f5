'use strict';
// FUNC_SIGNATURE (shared decisions 11): the registry of signature adapters. `kubeless` is the
// runtime's own handler(event, context) and has no adapter: the function is called as it always
// was, at no extra cost. Any other name wraps the function, once, at load time, into a Kubeless
// handler: the wrapper builds the platform's arguments from the call's event and context (the
// request in `event.extensions.request`, its body read whole into `req.body`), calls the
// function, and resolves to an Answer (responses.js) made from its result. The wrapper runs where
// the function runs (the worker, or the executor in call isolation), so every adapter is written
// once and the shared machinery (deadline, limits, metrics, logs, ids, CORS, drain) stays outside.
//
// An adapter module exports `wrap(handler)` and optionally `load(file, functionName)` (how it
// finds the function, when that differs from loader.js: OpenWhisk's unexported `main`, GCF's
// functions.http registrations; what `load` returns is what `wrap` gets).

const path = require('node:path');

const SIGNATURES = Object.freeze(['kubeless', 'lambda', 'lambda-v1', 'openwhisk', 'openfaas', 'knative', 'gcf', 'fission']);

/** name → the adapter (required on first use: the supervisor never loads them). */
const ADAPTERS = {
  lambda: () => require('./lambda').v2,
  'lambda-v1': () => require('./lambda').v1,
  openwhisk: () => require('./openwhisk'),
  openfaas: () => require('./openfaas'),
  knative: () => require('./knative'),
  gcf: () => require('./gcf'),
  fission: () => require('./fission'),
};

/**
 * Folders of stand-in packages a signature's functions may import without installing them
 * (gcf: @google-cloud/functions-framework), put last on NODE_PATH: the function's own
 * packages win (SHARED-DECISIONS-11b).
 */
const SHIMS = path.join(__dirname, 'shims');

function modulePaths(signature) {
  return signature === 'gcf' ? [SHIMS] : [];
}

/** The adapter of a signature name, or null for `kubeless`. */
function adapterFor(signature) {
  if (signature === undefined || signature === 'kubeless') return null;
  const make = ADAPTERS[signature];
  if (make === undefined) throw new Error(`unknown signature ${JSON.stringify(signature)}`);
  return make();
}

/**
 * Loads the function and returns what the runtime calls as handler(event, context): the
 * function itself (kubeless), or the adapter's wrapper of it. Errors are loader.js's LoadErrors.
 */
async function loadFunction(signature, file, functionName) {
  const { loadHandler } = require('../loader');
  const adapter = adapterFor(signature);
  if (adapter === null) return loadHandler(file, functionName);
  const handler = adapter.load !== undefined ? await adapter.load(file, functionName) : await loadHandler(file, functionName);
  return adapter.wrap(handler);
}

module.exports = { SIGNATURES, SHIMS, adapterFor, loadFunction, modulePaths };
