'use strict';
// The HTTP server of a worker process: probes, metrics, CORS, body limits, and each call of the
// function from request to answer (CONTRACT §2–7). Everything that can be is decided at start-up;
// the request path allocates the event, the context and one call record.

const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { pipeline } = require('node:stream');
const { Request, Response } = require('./express');
const { InFlight } = require('./inflight');
const { createMetrics } = require('./metrics');
const { logRequest } = require('./accesslog');
const watchdog = require('./watchdog');

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';
const OCTETS = 'application/octet-stream';
const EMPTY = Buffer.alloc(0);
const JSON_CONTENT_TYPE = /^application\/(?:[^;\s/]+\+)?json\s*(?:;|$)/i;
const MULTIPART = /^multipart\//i;
const PREFLIGHT_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const TIMEOUT_BODY = 'Timeout while processing the function';
const kCall = Symbol('call');
const kFd = Symbol('fd');
// Node's own symbol for a response's header map: null until a header is set. Found by name so
// that a Node without it simply takes the general path.
const kOutHeaders = Object.getOwnPropertySymbols(new http.OutgoingMessage())
  .find((symbol) => symbol.description === 'kOutHeaders') ?? Symbol('absent');

/** What a function may still call on a response the runtime already answered: all no-ops. */
const ABANDONED = {
  write() { return true; },
  end() { return this; },
  writeHead() { return this; },
  setHeader() { return this; },
  appendHeader() { return this; },
  removeHeader() {},
  flushHeaders() {},
  writeContinue() {},
  writeEarlyHints() {},
  addTrailers() {},
};

function isProbePath(url, probe) {
  return url === probe || (url.startsWith(probe) && url.charCodeAt(probe.length) === 63 /* ? */);
}

/** `2026-11-26T17:40:00.123Z` for the arrival millisecond; the date part is made once a second. */
let isoSecond = -1;
let isoPrefix = '';
function isoTime(ms) {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const millis = ms - second * 1000;
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** Tells the watchdog when a response starts, so that it never writes a 408 after its head. */
class WatchedResponse extends Response {
  writeHead(statusCode, reason, headers) {
    watchdog.responseStarted(this);
    return super.writeHead(statusCode, reason, headers);
  }
}

/** One request to the function, from arrival to its answer. */
class Call {
  constructor(req, res, arrivalWall, deadline, deadlineWall) {
    this.req = req;
    this.res = res;
    this.arrivalWall = arrivalWall;
    this.deadline = deadline; // performance.now() ms
    this.deadlineWall = deadlineWall; // Unix ms
    this.started = 0; // performance.now() at the call, 0 before
    this.done = false;
    this.eventId = '';
    this.metrics = null;
    this.abort = null; // the AbortController, made when the function reads context.signal
    // InFlight links
    this.prev = null;
    this.next = null;
    this.listed = false;
  }
}

/**
 * Creates the worker's HTTP server (not yet listening) for `handler`. Returns `{server, drain,
 * earliestDeadline, timeoutMs}`: `drain(graceMs)` stops taking connections and resolves when the
 * calls in flight have ended; `earliestDeadline()` feeds the watchdog's heartbeat.
 */
function createServer(config, handler) {
  const timeoutMs = config.timeout * 1000;
  const limit = config.bodyLimit;
  const tooLargeBody = `Request body too large: the limit is ${limit} bytes`;
  const corsMode = config.cors.mode;
  const corsOrigins = config.cors.origins;
  const accessLog = config.accessLog;
  const inFlight = new InFlight(expire);
  let running = 0; // calls of the function not yet ended (inFlight also holds bodies being read)
  const metrics = createMetrics(() => running);
  let draining = false;

  class Context {
    constructor(call) {
      this['function-name'] = config.functionName;
      this.timeout = config.timeout;
      this.runtime = config.runtime;
      this['memory-limit'] = config.memoryLimit;
      this.deadline = call.deadlineWall / 1000;
      this[kCall] = call;
    }

    /** Aborted at the deadline and when the client goes away; made on first use. */
    get signal() {
      const call = this[kCall];
      if (call.abort === null) {
        call.abort = new AbortController();
        if (call.done) {
          call.abort.abort(new DOMException(TIMEOUT_BODY, 'TimeoutError'));
        } else {
          call.res.once('close', () => {
            if (!call.res.writableFinished) call.abort.abort(new DOMException('The client went away', 'AbortError'));
          });
        }
      }
      return call.abort.signal;
    }
  }

  // ---- answering ------------------------------------------------------------------------------

  function log(req, res, bytes) {
    if (accessLog) logRequest(req, res, bytes);
  }

  /** Ends the response with a runtime-made body; for error answers. */
  function answer(req, res, status, body, { close = false } = {}) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const name of res.getHeaderNames()) {
      if (name !== 'access-control-allow-origin' && name !== 'vary') res.removeHeader(name);
    }
    res.statusCode = status;
    res.setHeader('Content-Type', TEXT);
    if (close) res.setHeader('Connection', 'close');
    res.end(body);
    log(req, res, Buffer.byteLength(body));
  }

  /** Ends a call's accounting: metrics, in-flight list. */
  function settle(call, failed) {
    if (call.done) return;
    call.done = true;
    inFlight.remove(call);
    if (call.started !== 0) {
      running -= 1;
      const m = call.metrics;
      m.observe((performance.now() - call.started) / 1000);
      if (failed) m.failures += 1;
    }
  }

  function fail(call, err) {
    const stack = err instanceof Error ? (err.stack || String(err)) : `a non-Error value was thrown: ${safeString(err)}`;
    process.stderr.write(`error: event-id=${call.eventId}: ${stack}\n`);
    if (call.done) return; // already answered 408: the late failure is only logged
    settle(call, true);
    answer(call.req, call.res, 500, `Internal Server Error (event-id: ${call.eventId})`);
  }

  /**
   * `body` is a string or bytes; a string goes out in one write with the head. When the function
   * set no header, the head is written in one step (Node's writeHead fast path) with its length.
   */
  function sendValue(call, res, contentType, body) {
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    if (res[kOutHeaders] === null && contentType !== null) {
      res.writeHead(res.statusCode, ['Content-Type', contentType, 'Content-Length', length]);
    } else if (contentType !== null && !res.hasHeader('content-type')) {
      res.setHeader('Content-Type', contentType);
    }
    res.end(body);
    settle(call, false);
    if (accessLog) logRequest(call.req, res, length, call.arrivalWall);
  }

  /** Turns the function's result into the response (CONTRACT §5). */
  function respond(call, value) {
    if (call.done) return;
    const res = call.res;
    if (res.headersSent || res.writableEnded) {
      followResponse(call, res);
      return;
    }
    if (value === undefined) {
      sendValue(call, res, null, EMPTY);
    } else if (typeof value === 'string') {
      sendValue(call, res, TEXT, value);
    } else if (value instanceof Uint8Array) {
      sendValue(call, res, OCTETS, value);
    } else if (value !== null && typeof value.pipe === 'function' && typeof value.on === 'function') {
      stream(call, res, value);
    } else {
      let text;
      try {
        text = JSON.stringify(value);
      } catch (err) {
        fail(call, err);
        return;
      }
      sendValue(call, res, JSON_TYPE, text === undefined ? EMPTY : text);
    }
  }

  /** The function answers (or answered) by itself: the call ends when its response does. */
  function followResponse(call, res) {
    if (res.writableFinished) {
      settle(call, false);
      log(call.req, res);
      return;
    }
    res.once('close', () => {
      if (call.done) return;
      settle(call, !res.writableFinished);
      log(call.req, res);
    });
  }

  function stream(call, res, source) {
    if (!res.hasHeader('content-type')) {
      res.setHeader('Content-Type', source.readableObjectMode || source.readableEncoding ? TEXT : OCTETS);
    }
    pipeline(source, res, (err) => {
      if (call.done) return;
      if (err) {
        fail(call, err);
        return;
      }
      settle(call, false);
      log(call.req, res);
    });
  }

  /** The deadline passed: 408, or a cut connection if the answer had started (CONTRACT §5). */
  function expire(call) {
    const { req, res } = call;
    const counted = call.started !== 0;
    settle(call, counted);
    if (counted) call.metrics.timeouts += 1;
    if (call.abort !== null) call.abort.abort(new DOMException(TIMEOUT_BODY, 'TimeoutError'));
    if (res.headersSent) {
      res.destroy();
      log(req, res);
    } else {
      if (!req.complete) stopReading(req);
      answer(req, res, 408, TIMEOUT_BODY, { close: true });
    }
    Object.assign(res, ABANDONED);
  }

  // ---- calling --------------------------------------------------------------------------------

  function call(callRecord, body, contentType, multipart) {
    const { req, res } = callRecord;
    const headers = req.headers;
    let data;
    if (multipart) {
      data = undefined;
    } else if (contentType !== undefined && JSON_CONTENT_TYPE.test(contentType)) {
      if (body.length === 0) {
        data = null;
      } else {
        try {
          data = JSON.parse(body.toString());
        } catch (err) {
          inFlight.remove(callRecord);
          callRecord.done = true;
          answer(req, res, 400, `Bad Request: malformed JSON body: ${err.message}`);
          return;
        }
      }
    } else {
      data = body.length === 0 ? '' : body.toString();
    }
    if (!multipart) req.body = body;

    const eventId = headers['event-id'] ?? randomUUID();
    callRecord.eventId = eventId;
    const event = {
      data,
      'event-id': eventId,
      'event-type': headers['event-type'] ?? contentType ?? '',
      'event-time': headers['event-time'] ?? isoTime(callRecord.arrivalWall),
      'event-namespace': headers['event-namespace'] ?? 'http',
      extensions: { request: req, response: res },
    };
    const context = new Context(callRecord);
    const m = metrics.forMethod(req.method);
    callRecord.metrics = m;
    m.calls += 1;
    running += 1;
    callRecord.started = performance.now();

    const socket = req.socket;
    let fd = socket[kFd];
    if (fd === undefined) fd = socket[kFd] = socket._handle ? socket._handle.fd : -1;
    if (socket.writableLength !== 0) fd = -1;
    watchdog.enterCall(res, fd, callRecord.deadlineWall);
    let result;
    try {
      result = handler(event, context);
    } catch (err) {
      if (!watchdog.leaveCall()) {
        claimed(callRecord);
        return;
      }
      fail(callRecord, err);
      return;
    }
    if (!watchdog.leaveCall()) {
      claimed(callRecord);
      return;
    }
    if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
      try {
        result.then((value) => respond(callRecord, value), (err) => fail(callRecord, err));
      } catch (err) {
        fail(callRecord, err); // a thenable whose then() throws
      }
    } else {
      respond(callRecord, result);
    }
  }

  /** The watchdog answered a call that ended a moment too late: drop its connection. */
  function claimed(call) {
    settle(call, true);
    call.metrics.timeouts += 1;
    call.req.socket.destroy();
    Object.assign(call.res, ABANDONED);
  }

  // ---- requests -------------------------------------------------------------------------------

  function tooLarge(call) {
    const { req, res } = call;
    inFlight.remove(call);
    call.done = true;
    stopReading(req);
    answer(req, res, 413, tooLargeBody, { close: true });
  }

  /**
   * Stops taking a request body that will not be used: what the client still sends is discarded
   * for a moment after the answer before the connection closes, so that it reads the answer
   * instead of a reset (see lingerClose).
   */
  function stopReading(req) {
    req.socket.destroySoon = lingerClose;
    req.removeAllListeners('data');
    req.resume();
  }

  function readBody(callRecord, contentType) {
    const req = callRecord.req;
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge(callRecord);
        return;
      }
      chunks.push(chunk);
    });
    // A client that goes away mid-body: forget the call at once rather than at its deadline.
    req.on('error', () => {});
    req.once('close', () => {
      if (req.complete || callRecord.done) return;
      inFlight.remove(callRecord);
      callRecord.done = true;
      chunks.length = 0;
    });
    req.on('end', () => {
      if (callRecord.done) return;
      call(callRecord, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), contentType, false);
    });
  }

  function preflight(req, res) {
    res.statusCode = 204;
    res.setHeader('Access-Control-Allow-Methods', PREFLIGHT_METHODS);
    const asked = req.headers['access-control-request-headers'];
    if (asked !== undefined) res.setHeader('Access-Control-Allow-Headers', asked);
    res.setHeader('Access-Control-Max-Age', '86400');
    res.end();
    log(req, res);
  }

  function probe(req, res, url) {
    if (isProbePath(url, '/healthz')) {
      res.setHeader('Content-Type', TEXT);
      res.end('OK');
      return true;
    }
    if (isProbePath(url, '/metrics')) {
      metrics.registry.metrics().then((text) => {
        res.setHeader('Content-Type', metrics.registry.contentType);
        res.end(text);
      }, (err) => {
        process.stderr.write(`error: /metrics failed: ${err?.stack ?? err}\n`);
        res.statusCode = 500;
        res.setHeader('Content-Type', TEXT);
        res.end('Internal Server Error: metrics failed');
      });
      return true;
    }
    return false;
  }

  function onRequest(req, res) {
    const method = req.method;
    const url = req.url;
    const headers = req.headers;

    if (corsMode !== 'off') {
      const origin = headers.origin;
      if (origin !== undefined) {
        if (corsMode === 'any') {
          res.setHeader('Access-Control-Allow-Origin', '*');
        } else {
          res.setHeader('Vary', 'Origin');
          if (corsOrigins.has(origin)) res.setHeader('Access-Control-Allow-Origin', origin);
        }
        if (method === 'OPTIONS' && headers['access-control-request-method'] !== undefined) {
          preflight(req, res);
          return;
        }
      }
    }
    if ((method === 'GET' || method === 'HEAD') && probe(req, res, url)) return;
    if (draining) res.shouldKeepAlive = false;

    const now = performance.now();
    const arrivalWall = Date.now();
    const callRecord = new Call(req, res, arrivalWall, now + timeoutMs, arrivalWall + timeoutMs);
    inFlight.add(callRecord);

    const contentType = headers['content-type'];
    const length = headers['content-length'];
    if (length !== undefined && Number(length) > limit) {
      tooLarge(callRecord);
      return;
    }
    if (contentType !== undefined && MULTIPART.test(contentType)) {
      call(callRecord, undefined, contentType, true);
    } else if ((length === undefined && headers['transfer-encoding'] === undefined) || length === '0') {
      call(callRecord, EMPTY, contentType, false);
    } else {
      readBody(callRecord, contentType);
    }
  }

  const server = http.createServer({
    IncomingMessage: Request,
    ServerResponse: WatchedResponse,
    keepAliveTimeout: 65_000,
    requestTimeout: 0,
    headersTimeout: 60_000,
  }, onRequest);
  server.on('clientError', (err, socket) => {
    if (socket.writable && !socket.destroyed && err.code !== 'ECONNRESET') {
      const body = `Bad Request: ${err.code || 'malformed request'}`;
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: ${TEXT}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    } else {
      socket.destroy();
    }
  });

  /** Earliest deadline among waiting calls, Unix ms (for the watchdog's heartbeat). */
  function earliestDeadline() {
    return inFlight.head === null ? Infinity : inFlight.head.deadlineWall;
  }

  /** Stops taking connections; resolves once no call is in flight or `graceMs` has passed. */
  function drain(graceMs) {
    draining = true;
    return new Promise((resolve) => {
      server.close();
      server.closeIdleConnections();
      const started = performance.now();
      const poll = setInterval(() => {
        server.closeIdleConnections();
        if (inFlight.size === 0 || performance.now() - started >= graceMs) {
          clearInterval(poll);
          server.closeAllConnections();
          resolve(inFlight.size);
        }
      }, 25);
    });
  }

  return { server, drain, earliestDeadline, timeoutMs };
}

/** Undoes Node's close-at-once after a 413: a client still sending should read the answer. */
function lingerClose() {
  const socket = this;
  if (socket.writable) socket.end();
  const timer = setTimeout(() => socket.destroy(), 2000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.on('end', () => socket.destroy());
  socket.resume();
}

function safeString(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

module.exports = { createServer };
