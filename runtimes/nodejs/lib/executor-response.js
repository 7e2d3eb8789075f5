'use strict';
// `event.extensions.response` inside an executor (call mode): the http.ServerResponse surface a
// function uses (status line, headers, write/end, the Express helpers), as a Writable stream whose
// bytes go to the front over the IPC channel. The head travels with the first bytes, and a
// response ended with one chunk (`res.send('x')`, `res.json(v)`) is one message.

const http = require('node:http');
const { Writable } = require('node:stream');
const { Response } = require('./express');
const { WRITE, END, ACK_EVERY_BYTES, encodeChunk } = require('./executor-protocol');

const kHeaders = Symbol('headers');
const kHead = Symbol('head'); // undefined: not decided yet; array: decided, not sent; null: sent
const kFinal = Symbol('final');
const kUnacked = Symbol('unacked');
const kWaiting = Symbol('waiting');
const kQuiet = Symbol('quiet');

function headersSentError(what) {
  const err = new Error(`Cannot ${what} headers after they are sent to the client`);
  err.code = 'ERR_HTTP_HEADERS_SENT';
  return err;
}

class ExecutorResponse extends Writable {
  /**
   * `send(message)` posts to the front; `id` is the call's number; `onDone()` runs once the
   * response is complete (its END message sent).
   */
  constructor(send, id, req, onDone) {
    super({ decodeStrings: false, highWaterMark: 64 * 1024 });
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.sendDate = true;
    this.req = req;
    this.socket = null;
    this[kHeaders] = new Map();
    this[kHead] = undefined;
    this[kFinal] = null;
    this[kUnacked] = 0;
    this[kWaiting] = null;
    this[kQuiet] = false;
    this._send = send;
    this._id = id;
    this._onDone = onDone;
    // Writes after the client went away fail like Node's (the callback gets the error); they
    // must not crash the executor as an unhandled 'error' event.
    this.on('error', () => {});
  }

  get headersSent() {
    return this[kHead] !== undefined;
  }

  get connection() {
    return this.socket;
  }

  setHeader(name, value) {
    if (this.headersSent) throw headersSentError('set');
    // Not validated here: the front applies the head to its own FunctionResponse, which holds an
    // invalid name or value back and reports it when the answer is sent (the runtime's conversion,
    // CONTRACT §5), exactly as in worker isolation, instead of throwing into the function.
    this[kHeaders].set(String(name).toLowerCase(), [String(name), Array.isArray(value) ? value.map(String) : value]);
    return this;
  }

  appendHeader(name, value) {
    const current = this.getHeader(name);
    if (current === undefined) return this.setHeader(name, value);
    const add = Array.isArray(value) ? value : [value];
    return this.setHeader(name, [...(Array.isArray(current) ? current : [current]), ...add]);
  }

  getHeader(name) {
    return this[kHeaders].get(String(name).toLowerCase())?.[1];
  }

  getHeaders() {
    const out = Object.create(null);
    for (const [lower, [, value]] of this[kHeaders]) out[lower] = value;
    return out;
  }

  getHeaderNames() {
    return [...this[kHeaders].keys()];
  }

  hasHeader(name) {
    return this[kHeaders].has(String(name).toLowerCase());
  }

  removeHeader(name) {
    if (this.headersSent) throw headersSentError('remove');
    this[kHeaders].delete(String(name).toLowerCase());
  }

  /** As Node's: sets the status (and headers) and fixes the head; it is sent with the first bytes. */
  writeHead(statusCode, reason, headers) {
    if (this.headersSent) throw headersSentError('write');
    let fields = headers;
    if (typeof reason === 'string') this.statusMessage = reason;
    else fields = reason;
    this.statusCode = statusCode;
    if (Array.isArray(fields)) {
      if (fields.length > 0 && Array.isArray(fields[0])) {
        for (const [name, value] of fields) this.appendHeader(name, value);
      } else {
        for (let i = 0; i + 1 < fields.length; i += 2) this.appendHeader(fields[i], fields[i + 1]);
      }
    } else if (fields) {
      for (const name of Object.keys(fields)) this.setHeader(name, fields[name]);
    }
    this[kHead] = this.headSnapshot();
    return this;
  }

  /** Sends the head now (an empty WRITE); the front flushes it to the client. */
  flushHeaders() {
    if (this[kHead] === null || this.writableEnded || this.destroyed) return;
    this._send([WRITE, this._id, this.takeHead(), '', 'utf8', false]);
  }

  /** [status, message, flat headers] as it stands. */
  headSnapshot() {
    const flat = [];
    for (const [name, value] of this[kHeaders].values()) flat.push(name, value);
    return [this.statusCode, this.statusMessage ?? null, flat];
  }

  /** The head for the next message: once, then null. */
  takeHead() {
    const head = this[kHead] === undefined ? this.headSnapshot() : this[kHead];
    this[kHead] = null;
    return head;
  }

  _write(chunk, encoding, callback) {
    const [payload, enc] = encodeChunk(chunk, encoding);
    this[kUnacked] += payload.length;
    const wantAck = this[kUnacked] >= ACK_EVERY_BYTES;
    this._send([WRITE, this._id, this.takeHead(), payload, enc, wantAck]);
    if (wantAck) {
      this[kUnacked] = 0;
      this[kWaiting] = callback; // the front drained: acknowledged()
    } else {
      callback();
    }
  }

  /** The front has written what it was sent: a waiting write may complete. */
  acknowledged() {
    const callback = this[kWaiting];
    this[kWaiting] = null;
    if (callback !== null) callback();
  }

  end(chunk, encoding, callback) {
    let cb = callback;
    let enc = encoding;
    let data = chunk;
    if (typeof data === 'function') {
      cb = data;
      data = null;
    } else if (typeof enc === 'function') {
      cb = enc;
      enc = undefined;
    }
    // The common case, a whole body in end(): sent with the head in the END message.
    if (data != null && (typeof data === 'string' || data instanceof Uint8Array)
      && !this.writableEnded && !this.destroyed && this.writableLength === 0 && this[kFinal] === null) {
      this[kFinal] = encodeChunk(data, enc);
      return super.end(cb);
    }
    return super.end(data, enc, cb);
  }

  /**
   * The executor answered with the function's return value (a RESULT message): the response is
   * complete without sending anything more, and later writes are refused as after Node's end().
   */
  settleQuietly() {
    if (this.writableEnded || this.destroyed) return;
    this[kQuiet] = true;
    Writable.prototype.end.call(this);
  }

  _final(callback) {
    if (this[kQuiet]) {
      callback();
      return;
    }
    const [payload, enc] = this[kFinal] ?? ['', 'utf8'];
    this._send([END, this._id, this.takeHead(), payload, enc]);
    this._onDone();
    callback();
  }

  _destroy(err, callback) {
    const waiting = this[kWaiting];
    this[kWaiting] = null;
    if (waiting !== null) waiting(err ?? new Error('the response was closed'));
    callback(err);
  }

  setTimeout() {
    return this;
  }

  // Informational answers have no path through the front: accepted and dropped.
  writeContinue() {}

  writeProcessing() {}

  writeEarlyHints() {}

  addTrailers() {}
}

// The Express helpers, the same code as worker mode's: they only use the methods above.
for (const name of Object.getOwnPropertyNames(Response.prototype)) {
  if (name !== 'constructor') Object.defineProperty(ExecutorResponse.prototype, name, Object.getOwnPropertyDescriptor(Response.prototype, name));
}

module.exports = { ExecutorResponse };
