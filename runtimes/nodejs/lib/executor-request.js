'use strict';
// `event.extensions.request` inside an executor (call mode, CONTRACT §5): an http.IncomingMessage
// with the Express helpers, rebuilt from the call's message (executor-protocol.js), its body
// already read by the front or streamed to it in BODY messages.

const { EventEmitter } = require('node:events');
const { Request } = require('./express');

/**
 * What `req.socket` is inside an executor: the client's address, as the front saw it. The real
 * socket stays in the front.
 */
class RemoteSocket extends EventEmitter {
  constructor(address) {
    super();
    [this.remoteAddress, this.remotePort, this.remoteFamily, this.localAddress, this.localPort] = address;
    this.encrypted = false;
    this.destroyed = false;
    this.readable = false;
    this.writable = false;
  }

  destroy() {
    this.destroyed = true;
    return this;
  }

  setTimeout() {
    return this;
  }

  setNoDelay() {
    return this;
  }

  setKeepAlive() {
    return this;
  }
}

/** A header object as a raw list [name, value, …]. */
function flatHeaders(headers) {
  const raw = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (Array.isArray(value)) for (const item of value) raw.push(name, item);
    else raw.push(name, value);
  }
  return raw;
}

/** The request of a CALL message's `spec` (call-invoker.js builds it). */
function makeRequest(spec) {
  const req = new Request(new RemoteSocket(spec.a));
  req.method = spec.m;
  req.url = spec.u;
  req.httpVersion = spec.v;
  const dot = spec.v.indexOf('.');
  req.httpVersionMajor = Number(spec.v.slice(0, dot));
  req.httpVersionMinor = Number(spec.v.slice(dot + 1));
  req.headers = spec.h;
  // spec.r: sent for a foreign signature, the header list as the client sent it
  req.rawHeaders = spec.r !== undefined ? spec.r : flatHeaders(spec.h);
  if (spec.k !== 's') {
    // The front read the body: the stream is over, as in worker mode.
    req.body = Buffer.from(spec.b, 'latin1');
    req.complete = true;
    req.push(null);
  }
  return req;
}

module.exports = { makeRequest, RemoteSocket };
