'use strict';
// FUNC_SIGNATURE=knative: Knative Functions' Node.js functions as faas-js-runtime serves them
// (nodeshift/faas-js-runtime@53505e5 index.js, lib/context.js, lib/invoker.js,
// lib/event-handler.js; foreign-signatures.md §7):
// - the module is a function (the handle) or an object with `handle` (FUNC_HANDLER, `handle` as
//   the template exports it) and optionally `init`, `shutdown`, `liveness`, `readiness`
//   (knative-lifecycle.js runs them);
// - request → arguments: `handle(context, body)`, the body parsed as faas-js's Fastify parsers
//   leave it (JSON → the value, text/plain → a string, a form → an object, anything else a
//   Buffer, no body → undefined); a CloudEvent request (through the function author's own
//   `cloudevents` package) is `handle(context, cloudevent)` with `context.cloudevent`;
// - result → answer: as lib/invoker.js maps it (falsy → 204, a string → text/plain, an object's
//   statusCode / headers / body, an object without body → its JSON, a returned CloudEvent →
//   binary mode).

const querystring = require('node:querystring');
const { createRequire } = require('node:module');
const { LoadError } = require('../source');
const { loadModule, pickCommonJs, pickEsm } = require('../loader');
const { JSON_CONTENT, FORM_CONTENT, Answer, bodyOf, jsonText } = require('./common');
const { hooksOf } = require('./knative-lifecycle');

const JSON_UTF8 = 'application/json; charset=utf-8';
const TEXT_UTF8 = 'text/plain; charset=utf-8';
const TEXT_PLAIN = /^text\/plain\s*(?:;|$)/i;
const CE_STRUCTURED = /^application\/cloudevents\+json\s*(?:;|$)/i;

/** pino's methods, onto the console (so the runtime's logs carry them, with their severity). */
const log = Object.freeze({
  trace: (...args) => console.debug(...args),
  debug: (...args) => console.debug(...args),
  info: (...args) => console.info(...args),
  warn: (...args) => console.warn(...args),
  error: (...args) => console.error(...args),
  fatal: (...args) => console.error(...args),
  child() {
    return log;
  },
});

/** The function author's `cloudevents` package, resolved from the function's folder (null: none). */
function cloudEventsFor(file) {
  try {
    return createRequire(file)('cloudevents');
  } catch {
    return null;
  }
}

/**
 * faas-js's Context (lib/context.js): the request's parts, then the query parameters spread onto
 * it, then `log`. `cloudEventResponse(data)` builds a CloudEvent with the author's package.
 */
class Context {
  constructor(req, body, rawBody, ce) {
    this.body = body;
    this.query = { ...req.query };
    this.headers = { ...req.headers };
    this.method = req.method;
    this.httpVersion = req.httpVersion;
    this.httpVersionMajor = req.httpVersionMajor;
    this.httpVersionMinor = req.httpVersionMinor;
    this.contentType = req.headers['content-type'];
    this.rawBody = rawBody;
    Object.assign(this, req.query);
    this.log = log;
    Object.defineProperty(this, 'ce', { value: ce, enumerable: false });
  }

  cloudEventResponse(response) {
    if (this.ce === null) throw new Error('cloudEventResponse() needs the cloudevents package: add it to the function\'s package.json');
    const attributes = { data: response };
    const CloudEvent = this.ce.CloudEvent;
    const builder = {
      version(v) { attributes.specversion = v; return builder; },
      id(v) { attributes.id = v; return builder; },
      type(v) { attributes.type = v; return builder; },
      source(v) { attributes.source = v; return builder; },
      response() { return new CloudEvent(attributes); },
    };
    return builder;
  }
}

/** The body as faas-js's parsers leave it; throws SyntaxError for malformed JSON. */
function parseBody(req) {
  const body = bodyOf(req);
  if (body.length === 0) return undefined;
  const type = req.headers['content-type'];
  if (type === undefined) return body;
  if (JSON_CONTENT.test(type) && /^application\/json/i.test(type)) return JSON.parse(body.toString('utf8'));
  if (TEXT_PLAIN.test(type) || CE_STRUCTURED.test(type)) return body.toString('utf8');
  if (FORM_CONTENT.test(type)) return { ...querystring.parse(body.toString('utf8')) };
  return body;
}

function badRequest(text) {
  return new Answer(400, ['Content-Type', TEXT_UTF8], text);
}

/** What cloudevents' HTTP.isEvent looks at: a ce-specversion header, or a CloudEvents media type. */
function isCloudEventRequest(req) {
  const type = req.headers['content-type'];
  return req.headers['ce-specversion'] !== undefined || (type !== undefined && /^application\/cloudevents/i.test(type));
}

function isCloudEvent(value, ce) {
  return value !== null && typeof value === 'object'
    && ((ce !== null && value instanceof ce.CloudEvent) || value.constructor?.name === 'CloudEvent');
}

/** lib/invoker.js: the function's result → [status, headers object, body]. */
function mapResult(result) {
  const headers = { 'content-type': JSON_UTF8 };
  if (!result) return [204, { 'content-type': 'text/plain' }, ''];
  if (typeof result === 'string') return [200, { 'content-type': TEXT_UTF8 }, result];
  let status = 200;
  if (result.headers !== null && typeof result.headers === 'object') {
    for (const name of Object.keys(result.headers)) headers[name.toLocaleLowerCase()] = result.headers[name];
  }
  if (result.statusCode) status = result.statusCode;
  let body;
  if (result.body !== undefined) body = result.body;
  else if (typeof result === 'object') body = result;
  return [status, headers, body];
}

/**
 * Fastify's reply.send of `body` (after lib/invocation-handler.js sendReply): a string or bytes as
 * they are, nothing for undefined, anything else as its JSON (sendReply's JSON.stringify for
 * text/plain, Fastify's serialiser otherwise: the same text).
 */
function sent(body) {
  if (body === undefined) return '';
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  return jsonText(body);
}

function toAnswer(status, headers, body) {
  const text = sent(body);
  if (text instanceof Error) throw text;
  const list = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    list.push(name, Array.isArray(value) ? value.map(String) : String(value));
  }
  return new Answer(status, list, text);
}

/** A CloudEvent answered in binary mode (HTTP.binary), its headers over the defaults. */
function cloudEventAnswer(event, ce) {
  const message = ce.HTTP.binary(event);
  const headers = { 'content-type': JSON_UTF8 };
  for (const [name, value] of Object.entries(message.headers)) headers[name.toLowerCase()] = value;
  return toAnswer(200, headers, message.body);
}

/**
 * faas-js answers a throw `err.code || 500` with err.message; here an error whose `code` is an
 * HTTP status (an integer 400–599) is answered so, as text, and anything else is the contract's
 * 500 (rethrown: logged with the stack and the event id); both count as failures.
 */
function errorAnswer(err) {
  const code = err?.code;
  if (Number.isInteger(code) && code >= 400 && code <= 599) {
    return new Answer(code, ['Content-Type', TEXT_UTF8], String(err.message ?? ''), err?.stack ?? String(err));
  }
  throw err;
}

function wrap(handle) {
  const ce = handle.knative?.cloudEvents ?? null;
  const includeRaw = Boolean(process.env.FUNC_INCLUDE_RAW);
  const wrapped = async (event) => {
    const req = event.extensions.request;
    let body;
    let cloudevent;
    try {
      body = parseBody(req);
    } catch (err) {
      return badRequest(`Bad Request: malformed JSON body: ${err.message}`);
    }
    if (ce !== null && isCloudEventRequest(req)) {
      try {
        cloudevent = ce.HTTP.toEvent({ headers: req.headers, body: bodyOf(req).toString('utf8') });
        if (Array.isArray(cloudevent)) throw new Error('a batch of CloudEvents is not one event');
        cloudevent.validate();
      } catch (err) {
        return badRequest(`Bad Request: malformed CloudEvent: ${String(err?.message ?? err).split('\n')[0]}`);
      }
    }
    const context = new Context(req, body, includeRaw ? bodyOf(req).toString('utf8') : undefined, ce);
    let result;
    try {
      if (cloudevent !== undefined) {
        context.cloudevent = cloudevent;
        result = await handle(context, cloudevent);
        if (isCloudEvent(result, ce)) return cloudEventAnswer(result, ce);
      } else {
        result = await handle(context, body);
      }
    } catch (err) {
      return errorAnswer(err);
    }
    const [status, headers, out] = mapResult(result);
    return toAnswer(status, headers, out);
  };
  wrapped.lifecycle = handle.knative?.lifecycle ?? null;
  return wrapped;
}

/** The module as faas-js takes it: a function, or an object with `handle` and the hooks. */
async function load(file, functionName) {
  const loaded = await loadModule(file);
  let target = loaded.exports;
  if (!loaded.commonJs && typeof target[functionName] !== 'function' && target.default !== undefined) {
    target = target.default; // an ES module's default export: the function or the object
  }
  let handle;
  if (typeof target === 'function') handle = target;
  else if (loaded.commonJs) handle = pickCommonJs(target, functionName);
  else handle = pickEsm(target, functionName);
  if (typeof handle !== 'function') throw new LoadError(`the module has no function ${functionName}`);
  const fn = (context, body) => handle(context, body);
  fn.knative = { lifecycle: hooksOf(typeof target === 'function' ? null : target), cloudEvents: cloudEventsFor(file) };
  return fn;
}

module.exports = { load, wrap, parseBody, mapResult, Context };
