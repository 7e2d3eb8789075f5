'use strict';
// FUNC_SIGNATURE=openfaas: the OpenFaaS Node.js templates' handler (openfaas/templates
// template/node22/index.js; shared decisions 11; foreign-signatures.md §4):
// `module.exports = async (event, context[, callback])`.
// - request → arguments: `event {body, headers, method, query, path}` with the body parsed by
//   content type as the template's Express parsers do, a FunctionContext (status(), headers(),
//   succeed(), fail()) and the callback(err, value);
// - result → answer: as the template's callback answers with Express's res.send: objects and
//   arrays JSON.stringify'd and sent as a string (text/html; charset=utf-8 unless a content type
//   was set), an error as its status (500 while still 200) and err.toString().

const querystring = require('node:querystring');
const { withCharset } = require('../express');
const {
  JSON_CONTENT, FORM_CONTENT, Answer, bodyOf, isThenable, describeError, unsendable, jsonText,
} = require('./common');

const HTML = 'text/html; charset=utf-8';
const OCTETS = 'application/octet-stream';

/** A request without a body in the template: body-parser leaves Express's `{}`. */
function hasBody(headers) {
  return headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined;
}

/**
 * event.body as the template's parsers leave it: JSON → the value, urlencoded → an object,
 * text/* or no content type (the template sets text/plain) → a string, anything else a Buffer.
 * Throws SyntaxError for JSON that does not parse.
 */
function parseBody(req) {
  const headers = req.headers;
  if (!hasBody(headers)) return {};
  const type = headers['content-type'];
  const body = bodyOf(req);
  if (type === undefined || /^text\//i.test(type)) return body.toString('utf8');
  if (JSON_CONTENT.test(type)) return body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  if (FORM_CONTENT.test(type)) return { ...querystring.parse(body.toString('utf8')) };
  return body;
}

/** The template's FunctionEvent. */
class FunctionEvent {
  constructor(req, body) {
    this.body = body;
    this.headers = req.headers;
    this.method = req.method;
    this.query = req.query;
    this.path = req.path;
  }
}

/** The template's FunctionContext: status()/headers() get, status(code)/headers(obj) set. */
class FunctionContext {
  constructor(callback) {
    this.statusCode = 200;
    this.headerValues = {};
    this.cb = callback;
    this.cbCalled = 0;
  }

  status(statusCode) {
    if (!statusCode) return this.statusCode;
    this.statusCode = statusCode;
    return this;
  }

  headers(value) {
    if (!value) return this.headerValues;
    this.headerValues = value;
    return this;
  }

  succeed(value) {
    this.cbCalled += 1;
    this.cb(undefined, value);
  }

  fail(value) {
    if (this.status() === 200) this.status(500);
    this.cbCalled += 1;
    this.cb(value, undefined);
  }
}

/** Express's res.set(obj) onto [name, value, …]: a Content-Type gets its charset. */
function setHeaders(values) {
  const out = [];
  if (values === null || typeof values !== 'object') return out;
  for (const [name, value] of Object.entries(values)) {
    if (String(name).toLowerCase() === 'content-type') out.push(name, withCharset(value));
    else out.push(name, Array.isArray(value) ? value.map(String) : String(value));
  }
  return out;
}

/** Express 4's res.send(value) after `headers`: [headers, body]. */
function send(headers, value) {
  const at = headers.findIndex((name, i) => i % 2 === 0 && String(name).toLowerCase() === 'content-type');
  const setType = (type) => {
    if (at === -1) headers.push('Content-Type', type);
    else headers[at + 1] = type;
  };
  const typeNow = at === -1 ? undefined : headers[at + 1];
  let chunk = value;
  if (chunk === undefined) return [headers, ''];
  if (chunk === null) chunk = '';
  else if (Buffer.isBuffer(chunk) || chunk instanceof Uint8Array) {
    if (typeNow === undefined) setType(OCTETS);
    return [headers, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)];
  } else if (typeof chunk !== 'string') {
    // res.json: numbers, booleans
    const text = jsonText(chunk);
    if (text instanceof Error) throw text;
    if (typeNow === undefined) setType('application/json; charset=utf-8');
    return [headers, text];
  } else if (typeNow === undefined) {
    setType(HTML);
    return [headers, chunk];
  }
  // a string with a Content-Type set: Express gives it charset=utf-8
  if (typeNow !== undefined) setType(String(typeNow).replace(/;\s*charset=[^;]*/i, '') + '; charset=utf-8');
  return [headers, chunk];
}

/** The template's callback: the answer to (err, value) with the context's status and headers. */
function answer(err, value, fnContext, eventId) {
  try {
    if (err !== undefined && err !== null && err !== false) {
      const status = fnContext.status() === 200 ? 500 : fnContext.status();
      const text = typeof err?.toString === 'function' ? err.toString() : String(err);
      const [headers, body] = send([], text);
      return new Answer(status, headers, body, describeError(err));
    }
    const headers = setHeaders(fnContext.headers());
    let payload = value;
    if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
      payload = jsonText(value);
      if (payload instanceof Error) return unsendable(eventId, payload.message);
    }
    const [out, body] = send(headers, payload);
    return new Answer(fnContext.status(), out, body);
  } catch (error) {
    return unsendable(eventId, error.message);
  }
}

/** Calls the handler as the template does; resolves to the Answer (the first callback counts). */
function wrap(handler) {
  return (event, context) => {
    const req = event.extensions.request;
    const eventId = event['event-id'];
    let body;
    try {
      body = parseBody(req);
    } catch (err) {
      return new Answer(400, ['Content-Type', 'text/plain; charset=utf-8'], `Bad Request: malformed JSON body: ${err.message}`);
    }
    return new Promise((resolve) => {
      let answered = false;
      let fnContext = null;
      const callback = (err, value) => {
        if (answered) return;
        answered = true;
        resolve(answer(err, value, fnContext, eventId));
      };
      fnContext = new FunctionContext(callback);
      const fnEvent = new FunctionEvent(req, body);
      let result;
      try {
        result = handler(fnEvent, fnContext, callback);
      } catch (err) {
        callback(err);
        return;
      }
      const after = (value) => {
        if (!fnContext.cbCalled) fnContext.succeed(value);
      };
      if (isThenable(result)) result.then(after, (err) => callback(err));
      else after(result);
    });
  };
}

module.exports = { wrap, parseBody, answer, FunctionContext, FunctionEvent };
