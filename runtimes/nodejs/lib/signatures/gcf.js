'use strict';
// FUNC_SIGNATURE=gcf: Google Cloud Functions' Node.js Functions Framework (FF;
// GoogleCloudPlatform/functions-framework-nodejs@f39924d, foreign-signatures.md §2;
// SHARED-DECISIONS-11b). HTTP functions: Express `(req, res)`, found as FF's loader finds them:
// first the function registered under FUNC_HANDLER with `functions.http(name, fn)`, then the
// export. The function answers through `res` (lib/express.js's helpers); its return value is not
// used. CloudEvent functions (`functions.cloudEvent`, or FUNCTION_SIGNATURE_TYPE=cloudevent for an
// export) are made HTTP functions as FF makes them (gcf-cloudevent.js).
// - request → arguments: the body parsed as FF's body-parser stack does (server.ts: cloudevents+
//   JSON, JSON, text/plain, urlencoded extended, raw */*) into req.body, the bytes in req.rawBody,
//   req.executionId, req.spanId, req.abortController, req.params;
// - the answer: what the function wrote; a throw or rejection before the response started is the
//   contract's 500 with FF's `X-Google-Status: crash` header, counted as a failure; /favicon.ico
//   and /robots.txt are 404 without calling an HTTP function, as FF's app answers them; FF's
//   `trust proxy` (req.ip, ips, protocol, hostname from X-Forwarded-*).
//
// `@google-cloud/functions-framework` resolves for the function as on GCF: the real package when
// its dependencies install it, else the runtime's shim (lib/signatures/shims, last on NODE_PATH
// and in the import hook). Either way the registered function comes from the package's public
// `testing.getFunction(name)`; its kind (http or cloudevent) from the package's
// function_registry.js, which the public API does not expose (the shim has the same file).

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { loadHandler } = require('../loader');
const { LoadError } = require('../source');
const { SHIMS } = require('./index');
const { parserStack, BodyError } = require('./bodies');
const { Answer, TEXT, isThenable, describeError, untilResponseOver } = require('./common');
const { cloudEventHandler, CloudEventError } = require('./gcf-cloudevent');
const { internalErrorBody } = require('../responses');

const PACKAGE = '@google-cloud/functions-framework';

// server.ts: the parsers in FF's order (the first whose type matches parses the body).
const parseBody = parserStack([
  ['json', ['application/cloudevents+json']],
  ['json', ['application/json']],
  ['text', ['text/plain']],
  ['extendedForm', ['application/x-www-form-urlencoded']],
  ['raw', ['*/*']],
]);

// execution_context.ts
const TRACE_CONTEXT = /^(?<traceId>\w+)\/(?<spanId>\d+)(?:;o=(?<options>.+))?$/;

/**
 * The function registered under `name` with the package the module's code resolves, or null:
 * {fn, type}. Only read when the module loaded that package (it is in require.cache).
 */
function registered(file, name) {
  const requireHere = Module.createRequire(file);
  let entry;
  try {
    entry = requireHere.resolve(PACKAGE);
  } catch {
    return null;
  }
  if (require.cache[entry] === undefined) return null;
  const fn = requireHere(`${PACKAGE}/testing`).getFunction(name);
  if (fn === undefined) return null;
  const registry = path.join(path.dirname(entry), 'function_registry.js');
  const type = fs.existsSync(registry) ? require(registry).getRegisteredFunction?.(name)?.signatureType ?? 'http' : 'http';
  if (typeof fn !== 'function') throw new LoadError(`the function registered as ${name} is not a function`);
  if (type !== 'http' && type !== 'cloudevent') throw new LoadError(`${name} is a ${type} function: not supported under FUNC_SIGNATURE=gcf`);
  return { fn, type };
}

/** The kind of an exported function: FF's FUNCTION_SIGNATURE_TYPE (http by default). */
function exportedType() {
  const type = process.env.FUNCTION_SIGNATURE_TYPE || 'http';
  if (type !== 'http' && type !== 'cloudevent') {
    throw new LoadError(`FUNCTION_SIGNATURE_TYPE=${type} is not supported under FUNC_SIGNATURE=gcf (http or cloudevent)`);
  }
  return type;
}

/** FF's loader order: the registration named FUNC_HANDLER, then the export. Returns {fn, type}. */
async function load(file, functionName) {
  let exported = null;
  let missing = null;
  try {
    exported = await loadHandler(file, functionName, { shims: [SHIMS] });
  } catch (err) {
    if (!(err instanceof LoadError) || err.showStack) throw err;
    missing = err;
  }
  const found = registered(file, functionName);
  if (found !== null) return found;
  if (missing !== null) {
    throw new LoadError(`${missing.message}, and nothing registered it with functions.http('${functionName}', fn) or functions.cloudEvent('${functionName}', fn)`);
  }
  return { fn: exported, type: exportedType() };
}

/** The first of a comma-separated header's values, trimmed, or undefined. */
function firstValue(value) {
  if (!value) return undefined;
  const comma = value.indexOf(',');
  return (comma === -1 ? value : value.slice(0, comma)).trim();
}

/**
 * Express's request getters with FF's `app.enable('trust proxy')` (every proxy trusted): the
 * client is the leftmost X-Forwarded-For address, the protocol and host X-Forwarded-Proto's and
 * X-Forwarded-Host's first values. Own properties of this request only: other signatures keep
 * the peer's address (lib/express.js).
 */
const TRUST_PROXY = {
  ip: {
    configurable: true,
    get() {
      const forwarded = this.headers['x-forwarded-for'];
      return forwarded ? forwarded.split(',')[0].trim() : this.socket?.remoteAddress;
    },
  },
  ips: {
    configurable: true,
    get() {
      const forwarded = this.headers['x-forwarded-for'];
      return forwarded ? forwarded.split(',').map((addr) => addr.trim()) : [];
    },
  },
  protocol: {
    configurable: true,
    get() {
      return firstValue(this.headers['x-forwarded-proto']) || (this.socket?.encrypted ? 'https' : 'http');
    },
  },
  hostname: {
    configurable: true,
    get() {
      const host = firstValue(this.headers['x-forwarded-host']) || this.headers.host;
      if (!host) return undefined;
      const colon = host.indexOf(':', host[0] === '[' ? host.indexOf(']') + 1 : 0);
      return colon === -1 ? host : host.slice(0, colon);
    },
  },
};

/** What FF's middlewares add to the request before the function sees it. */
function prepare(req, parsed, eventId, context) {
  Object.defineProperties(req, TRUST_PROXY);
  const raw = req.body;
  req.body = parsed.body;
  // Express's rawBody getter (lib/express.js) is the raw body; FF's is set by a parser only.
  Object.defineProperty(req, 'rawBody', { value: parsed.parsed ? raw : undefined, writable: true, configurable: true, enumerable: true });
  req.executionId = req.headers['function-execution-id'] || eventId;
  const trace = TRACE_CONTEXT.exec(req.headers['x-cloud-trace-context'] ?? '');
  if (trace !== null) req.spanId = trace.groups.spanId;
  // Express 5's route '/{*splat}': the path's segments.
  const pathname = req.path;
  req.params = pathname === '/' ? {} : { splat: pathname.slice(1).split('/').map(safeDecode) };
  let controller = null;
  Object.defineProperty(req, 'abortController', {
    configurable: true,
    enumerable: true,
    get() {
      if (controller === null) {
        controller = new AbortController();
        const signal = context.signal;
        if (signal.aborted) controller.abort(signal.reason);
        else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
      }
      return controller;
    },
  });
}

function safeDecode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * FF's crash response (logger.ts sendCrashResponse) made the contract's 500: `X-Google-Status:
 * crash`, or `error` for a CloudEvent function's error.
 */
function crash(res, thrown, eventId) {
  res.removeHeader('Content-Type');
  res.removeHeader('Content-Length');
  const status = thrown instanceof CloudEventError ? 'error' : 'crash';
  const err = thrown instanceof CloudEventError ? thrown.cause : thrown;
  return new Answer(500, ['X-Google-Status', status, 'Content-Type', TEXT], internalErrorBody(eventId), describeError(err));
}

/**
 * server.ts: an HTTP function's app answers /favicon.ico and /robots.txt (and below them: Express's
 * app.use matches a path prefix, case-insensitively) 404 with an empty body, without calling it.
 */
const IGNORED_ROUTES = ['/favicon.ico', '/robots.txt'];

function ignoredRoute(path) {
  const lower = path.toLowerCase();
  return IGNORED_ROUTES.some((route) => lower === route || lower.startsWith(`${route}/`));
}

const NOT_FOUND = new Answer(404, null, '');

/** The loaded function as a Kubeless handler: resolves when its response is over. */
function wrap({ fn: userFunction, type }) {
  const http = type !== 'cloudevent';
  const fn = http ? userFunction : cloudEventHandler(userFunction);
  return (event, context) => {
    const req = event.extensions.request;
    const res = event.extensions.response;
    const eventId = event['event-id'];
    if (http && ignoredRoute(req.path)) return NOT_FOUND;
    let parsed;
    try {
      parsed = parseBody(req);
    } catch (err) {
      if (err instanceof BodyError) return err.answer();
      throw err;
    }
    prepare(req, parsed, eventId, context);
    // A response already started cannot become the 500: the runtime ends it (CONTRACT §5).
    const onFailure = (err, resolve, reject) => {
      if (res.headersSent || res.writableEnded) reject(err instanceof CloudEventError ? err.cause : err);
      else resolve(crash(res, err, eventId));
    };
    return untilResponseOver(res, (failed) => {
      let result;
      try {
        result = fn(req, res);
      } catch (err) {
        failed(err);
        return;
      }
      if (isThenable(result)) {
        try {
          result.then(undefined, failed);
        } catch (err) {
          failed(err);
        }
      }
    }, onFailure);
  };
}

module.exports = { load, wrap, parseBody, prepare };
