'use strict';
// What a function returns, turned into bytes on the wire (CONTRACT §5), and every answer the
// runtime makes itself (its 4xx/5xx bodies). Two ways out, one table of bodies:
// - `sendResult` / `sendError` write through the call's `ServerResponse`;
// - `rawAnswer` builds a complete HTTP/1.1 answer for places that only have the socket (parser
//   errors, the watchdog thread writing a 408 while the event loop is blocked).
// Nothing here throws: a result that cannot be sent becomes the contract's 500.

const http = require('node:http');
const { Response } = require('./express');
const watchdog = require('./watchdog');

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';
const OCTETS = 'application/octet-stream';
const EMPTY = Buffer.alloc(0);

const TIMEOUT_BODY = 'Timeout while processing the function';
const internalErrorBody = (eventId) => `Internal Server Error (event-id: ${eventId})`;
const shutdownBody = (eventId) => `Service Unavailable: the runtime shut down before the call ended (event-id: ${eventId})`;

/** A result the runtime cannot turn into a response; `message` is the reason logged. */
class Unsendable extends Error {}

/**
 * What a signature adapter (lib/signatures) answers a call with: `status` (null: leave it),
 * `headers` ([name, value, …], a value may be an array: a repeated header; null: none), `body` (a
 * string or bytes; sent as it is, with no Content-Type but the adapter's), and `failure`: null, or
 * why the call counts as failed (logged as the contract's `error: event-id=ID: …` line while the
 * answer is still sent, e.g. the Lambda RIE's error document or a Lambda 1.0 502).
 */
class Answer {
  constructor(status, headers, body, failure = null) {
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.failure = failure;
  }
}

/** The answer's status and headers, onto a response (the real one, or an executor's). */
function applyAnswer(res, answer) {
  if (answer.status !== null) res.statusCode = answer.status;
  const headers = answer.headers;
  for (let i = 0; headers !== null && i < headers.length; i += 2) {
    const name = headers[i];
    if (res.hasHeader(name)) {
      const current = res.getHeader(name);
      const more = Array.isArray(headers[i + 1]) ? headers[i + 1] : [headers[i + 1]];
      res.setHeader(name, [...(Array.isArray(current) ? current : [current]), ...more]);
    } else {
      res.setHeader(name, headers[i + 1]);
    }
  }
}

/** Sends an Answer; returns the body's size. Throws Unsendable (as sendBody). */
function sendAnswer(res, answer) {
  try {
    applyAnswer(res, answer);
  } catch (err) {
    throw new Unsendable(`${err.message}`);
  }
  return sendBody(res, null, answer.body);
}

/**
 * The response class the server creates. Its head is the one place where the runtime adds its
 * own headers, so that they also reach responses the function writes itself: CORS (unless the
 * function set `Access-Control-Allow-Origin`: its value wins), `Connection: close` during a drain,
 * and the watchdog's note that bytes went out (after which it must not write a 408).
 */
class FunctionResponse extends Response {
  constructor(req, options) {
    super(req, options);
    this.cors = null; // [name, value, ...] to add, decided per request by the app
    this.touched = false; // a header was set: the one-step head (writeHead with an array) is off
    this.invalid = null; // why a header the function set cannot be sent
  }

  /**
   * An invalid header name or value is kept as the reason this response cannot be sent, and
   * reported when it is sent (CONTRACT §5: the runtime's conversion, answered 500), rather than
   * thrown into the function, as Express on Node's `setHeader` would.
   */
  setHeader(name, value) {
    this.touched = true;
    try {
      return super.setHeader(name, value);
    } catch (err) {
      if (this.headersSent) throw err;
      this.invalid ??= `header ${JSON.stringify(String(name))}: ${err.message}`;
      return this;
    }
  }

  appendHeader(name, value) {
    this.touched = true;
    try {
      return super.appendHeader(name, value);
    } catch (err) {
      if (this.headersSent) throw err;
      this.invalid ??= `header ${JSON.stringify(String(name))}: ${err.message}`;
      return this;
    }
  }

  writeHead(statusCode, reason, headers) {
    if (this.invalid !== null) throw new Error(this.invalid);
    watchdog.responseStarted(this);
    const cors = this.cors;
    if (cors !== null) {
      this.cors = null;
      for (let i = 0; i < cors.length; i += 2) {
        if (!this.hasHeader(cors[i])) super.setHeader(cors[i], cors[i + 1]);
      }
    }
    if (draining && !this.headersSent) super.setHeader('Connection', 'close');
    return super.writeHead(statusCode, reason, headers);
  }
}

let draining = false;
/** From now on every response says `Connection: close` (CONTRACT §8). */
function startDraining() {
  draining = true;
}

/**
 * A complete `HTTP/1.1 status` answer with a text body and `Connection: close`, for a socket the
 * runtime writes to directly. `extra` is a list of header lines (`Name: value`).
 */
function rawAnswer(status, body, extra = []) {
  const head = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}`, `Content-Type: ${TEXT}`,
    `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', ...extra];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Answers with a runtime-made body: whatever the function set (status, message, headers but
 * CORS) is dropped; `headers` ([name, value, …]) are added. A response whose head is already out
 * can only be cut. Returns the body's size in bytes, or -1 when the connection was cut instead.
 */
function sendError(res, status, body, { close = false, headers = undefined } = {}) {
  if (res.headersSent) {
    res.destroy();
    return -1;
  }
  try {
    res.invalid = null;
    for (const name of res.getHeaderNames()) {
      if (name !== 'access-control-allow-origin' && name !== 'vary') res.removeHeader(name);
    }
    res.statusCode = status;
    res.statusMessage = http.STATUS_CODES[status];
    res.setHeader('Content-Type', TEXT);
    if (close) res.setHeader('Connection', 'close');
    for (let i = 0; headers !== undefined && i < headers.length; i += 2) res.setHeader(headers[i], headers[i + 1]);
    res.end(body);
    return Buffer.byteLength(body);
  } catch {
    // a header the function set that Node refuses even to remove: nothing sane can be sent
    res.destroy();
    return -1;
  }
}

/**
 * Writes a body in memory. Without headers set by anyone, the head goes out in one step (Node's
 * writeHead fast path) with its length; else the function's Content-Type wins. Throws Unsendable
 * for an invalid status, status message or header.
 */
function sendBody(res, contentType, body) {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const cors = res.cors;
  try {
    if (!res.touched && contentType !== null) {
      const head = ['Content-Type', contentType, 'Content-Length', length];
      if (cors !== null) {
        res.cors = null; // sent with this head, not added again by writeHead
        head.push(...cors);
      }
      res.writeHead(res.statusCode, head);
    } else if (contentType !== null && !res.hasHeader('content-type')) {
      res.setHeader('Content-Type', contentType);
    }
    res.end(body);
  } catch (err) {
    if (!res.headersSent) res.cors = cors; // the error answer still gets them
    throw new Unsendable(`${err.message}`);
  }
  return length;
}

/**
 * The body a value becomes: `[contentType, body]` (contentType null: none of its own), or null
 * for a readable stream (sent by the app). Throws Unsendable for values JSON cannot express.
 */
function convert(value) {
  if (value === undefined) return [null, EMPTY];
  if (typeof value === 'string') return [TEXT, value];
  if (value instanceof Uint8Array) return [OCTETS, value];
  const type = typeof value;
  if (type === 'symbol' || type === 'function' || type === 'bigint') {
    throw new Unsendable(`a ${type} is not JSON`);
  }
  if (value !== null && typeof value.pipe === 'function' && typeof value.on === 'function') return null;
  let text;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new Unsendable(`${err.message}`);
  }
  if (text === undefined) throw new Unsendable('the value has no JSON form');
  return [JSON_TYPE, text];
}

/** The Content-Type of a returned stream: text for strings and objects, else bytes. */
function streamType(source) {
  return source.readableObjectMode || source.readableEncoding ? TEXT : OCTETS;
}

module.exports = {
  TEXT, JSON_TYPE, OCTETS, EMPTY, TIMEOUT_BODY, internalErrorBody, shutdownBody,
  Unsendable, Answer, applyAnswer, sendAnswer, FunctionResponse, startDraining, rawAnswer, sendError, sendBody, convert, streamType,
};
