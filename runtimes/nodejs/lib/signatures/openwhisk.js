'use strict';
// FUNC_SIGNATURE=openwhisk: an OpenWhisk web action called through the `.http` extension
// (apache/openwhisk docs/webactions.md; shared decisions 11; foreign-signatures.md §6).
// - request → arguments: one params object, as the controller builds it: the query parameters,
//   then the keys of a JSON object or form body (later wins), and __ow_method (lower-case),
//   __ow_headers, __ow_path, and __ow_body when the body is not a JSON object or a form;
// - result → answer: a result with statusCode / headers / body is the HTTP answer; any other
//   result is answered as JSON, whole (what `.json` gives); `{error: X}` answers X the same way.
// Finding the function: OpenWhisk evaluates a Node.js action's source inside a function and takes
// its top-level `main`, which is usually not exported (see `load`).

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const querystring = require('node:querystring');
const { LoadError } = require('../source');
const {
  JSON_TYPE, JSON_CONTENT, FORM_CONTENT, Answer, splitUrl, bodyText, bodyOf, isPlainObject,
  unsendable, jsonText, describe, headerIn,
} = require('./common');

const HTML = 'text/html';
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// ---- finding the function ----------------------------------------------------------------

/** Whether Node treats `file` as an ES module by its name or its package.json "type". */
function isEsmFile(file) {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module';
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/**
 * Loads an action as OpenWhisk's Node.js runner does (core/nodejsActionBase/runner.js evaluates
 * the source inside a function, then `return main`): a CommonJS source is compiled with
 * vm.compileFunction as the body of a function whose parameters are the module's own `exports`,
 * `require` (module.createRequire: resolved from the file, NODE_PATH included), `module`,
 * `__filename` and `__dirname`, the same scope Node's CommonJS loader gives a module, plus a final
 * `return` of the top-level function named FUNC_HANDLER. So a `function main(params)` that is
 * never exported is found, and an exported one still is. Public APIs only (vm, module): no
 * Module internals. An ES module (.mjs, "type": "module", or a file only `import()` can run) is
 * loaded as usual and its exports are used.
 */
async function load(file, functionName) {
  const { loadHandler } = require('../loader');
  if (isEsmFile(file)) return loadHandler(file, functionName);
  let source = fs.readFileSync(file, 'utf8');
  if (source.startsWith('#!')) source = `//${source.slice(2)}`; // a shebang line, as Node allows
  const tail = IDENTIFIER.test(functionName) ? `\n;return typeof ${functionName} === 'function' ? ${functionName} : undefined;` : '';
  let compiled;
  try {
    compiled = vm.compileFunction(`${source}${tail}`, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  } catch (err) {
    // import/export statements: an ES module by its syntax, which import() runs
    if (err instanceof SyntaxError && /\bimport\b|\bexport\b|module/i.test(err.message)) return loadHandler(file, functionName);
    throw new LoadError(`syntax error: ${err.message}`, { cause: err, showStack: true });
  }
  const module = { exports: {}, id: file, filename: file, path: path.dirname(file), loaded: false, children: [] };
  const moduleRequire = createRequire(file);
  module.require = moduleRequire;
  let topLevel;
  try {
    topLevel = compiled.call(module.exports, module.exports, moduleRequire, module, file, path.dirname(file));
  } catch (err) {
    throw new LoadError(`${err?.name || 'Error'} while loading the module: ${err?.message ?? err}`, { cause: err, showStack: true });
  }
  module.loaded = true;
  const exported = module.exports;
  if (typeof exported === 'function') return exported;
  if (typeof topLevel === 'function') return topLevel;
  if (exported !== null && typeof exported === 'object' && typeof exported[functionName] === 'function') {
    return exported[functionName].bind(exported);
  }
  throw new LoadError(`the module has no function ${functionName} (no top-level function of that name, and no such export)`);
}

// ---- request → arguments ------------------------------------------------------------------

/** The params object of a request (webactions.md "HTTP Context"). */
function params(req) {
  const [pathPart, query] = splitUrl(req.url);
  const args = {};
  if (query !== '') for (const [name, value] of new URLSearchParams(query)) args[name] = value;
  const body = bodyOf(req);
  const type = req.headers['content-type'];
  let owBody;
  if (body.length > 0) {
    let merged = false;
    if (type !== undefined && JSON_CONTENT.test(type)) {
      let value;
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        value = undefined;
      }
      if (isPlainObject(value)) {
        Object.assign(args, value);
        merged = true;
      }
    } else if (type !== undefined && FORM_CONTENT.test(type)) {
      Object.assign(args, querystring.parse(body.toString('utf8')));
      merged = true;
    }
    if (!merged) owBody = bodyText(body, type) ?? body.toString('base64');
  }
  args.__ow_method = req.method.toLowerCase();
  args.__ow_headers = { ...req.headers };
  args.__ow_path = pathPart === '/' ? '' : pathPart;
  if (owBody !== undefined) args.__ow_body = owBody;
  return args;
}

// ---- result → answer ----------------------------------------------------------------------

/** What the controller answers a result that is not an object. */
const NOT_HTTP = '{"error":"Response is not valid \'message/http\'."}';

/** The `.http` answer of a result (webactions.md "Handling HTTP requests with actions"). */
function answer(result, eventId) {
  // As the controller's `.http` answers (webactions.md; resultAsHttp): every object is an HTTP
  // response (one without `body` is 204, W-py-1's `{greeting}` included); an application error's
  // `error` is projected; anything that is not an object is not valid message/http: 400.
  let value = result === undefined || result === null ? {} : result;
  if (isPlainObject(value) && Object.hasOwn(value, 'error')) value = value.error;
  if (!isPlainObject(value)) return new Answer(400, ['Content-Type', JSON_TYPE], NOT_HTTP);
  const { statusCode, headers, body } = value;
  const out = [];
  if (headers !== undefined && headers !== null) {
    if (!isPlainObject(headers)) return unsendable(eventId, `headers must be an object, got ${describe(headers)}`);
    for (const name of Object.keys(headers)) {
      const item = headers[name];
      out.push(name, Array.isArray(item) ? item.map(String) : String(item));
    }
  }
  const empty = body === undefined || body === null || body === '';
  const status = statusCode === undefined || statusCode === null ? (empty ? 204 : 200) : statusCode;
  if (!Number.isInteger(status)) return unsendable(eventId, `statusCode must be an integer, got ${describe(status)}`);
  if (empty) return new Answer(status, out, '');
  const declared = headerIn(headers, 'content-type');
  let payload;
  if (typeof body === 'string') {
    payload = body;
    if (declared === undefined) out.push('Content-Type', HTML);
    else if (/^image\//i.test(String(declared))) payload = Buffer.from(body, 'base64'); // binary: base64-decoded
  } else {
    payload = jsonText(body);
    if (payload instanceof Error) return unsendable(eventId, payload.message);
    if (declared === undefined) out.push('Content-Type', JSON_TYPE);
  }
  return new Answer(status, out, payload);
}

/** main(params), its value (or promise) answered through `answer`. */
function wrap(handler) {
  return (event) => {
    const eventId = event['event-id'];
    const result = handler(params(event.extensions.request));
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      return result.then((value) => answer(value, eventId));
    }
    return answer(result, eventId);
  };
}

module.exports = { load, wrap, params, answer };
