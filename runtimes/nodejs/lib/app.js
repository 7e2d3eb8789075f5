'use strict';
// What a worker serves: the runtime's endpoints (probes.js), CORS (cors.js), and every other
// request to the function (CONTRACT §2–7), from the request's arrival to its answer. The function
// itself is run by the invoker (invoker.js); this module admits the request (the in-flight limit),
// reads the body, builds the event, and settles each call: its answer, its metrics, its
// access-log record, its deadline.

const { randomUUID } = require('node:crypto');
const { pipeline } = require('node:stream');
const clock = require('./clock');
const { Call, InFlight } = require('./inflight');
const { createMetrics } = require('./metrics');
const watchdog = require('./watchdog');
const { accessLogger } = require('./accesslog');
const { MalformedBody, isMultipart, decodeData, buildEvent, contextFactory } = require('./event');
const {
  EMPTY, TIMEOUT_BODY, internalErrorBody, shutdownBody, Unsendable, Answer,
  sendError, sendBody, sendAnswer, convert, streamType, rawAnswer,
} = require('./responses');
const { createCors } = require('./cors');
const { createProbes } = require('./probes');
const { createReadiness } = require('./readiness');
const { callTrace } = require('./trace-context');
const { endCall } = require('./capture');
const { message } = require('./log-format');

const LINGER_MS = 2000;
const RETRY_AFTER = Object.freeze(['Retry-After', '1']);

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

function safeString(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The size of a request's head as the contract counts it (CONTRACT §5): the request line and
 * each header line with their CRLFs. Node's own `maxHeaderSize` leaves out the separators and
 * the request line's fixed parts, so it is only the parser's first, looser bound.
 */
function headerBytes(req) {
  const raw = req.rawHeaders;
  let total = req.method.length + req.url.length + 12; // "M U HTTP/1.1\r\n"
  for (let i = 0; i < raw.length; i += 2) total += raw[i].length + raw[i + 1].length + 4;
  return total;
}

function describeError(err) {
  return err instanceof Error ? (err.stack || String(err)) : `a non-Error value was thrown: ${safeString(err)}`;
}

/**
 * The app of one worker. `makeInvoker(outcome)` returns the invoker that runs the function
 * (invoker.js describes the interface). Options: `exchangeMetrics(snapshot)` (metrics.js),
 * `onFirstCall()` called once, when the first call has been answered, `metricsChanged()` after
 * every call's end, `canRun()` whether a call can run now (readiness.js), `wrapProbe(probe)` a
 * probe around the runtime's own (signatures/knative-lifecycle.js). Returns `{onRequest,
 * atLimit, metrics, inFlight, latestDeadline, failCurrent, endRemaining, timeoutMs}`.
 */
function createApp(settings, makeInvoker, {
  exchangeMetrics, onFirstCall = () => {}, metricsChanged = () => {}, canRun = () => true, wrapProbe = null,
} = {}) {
  const timeoutMs = settings.timeout * 1000;
  const limit = settings.bodyLimit;
  const tooLargeBody = `Request body too large: the limit is ${limit} bytes`;
  const accessLog = settings.accessLog;
  const logRequest = accessLogger(settings.logFormat);
  const jsonLogs = settings.logFormat === 'json';
  const maxHeaderSize = settings.maxHeaderSize;
  const tooLargeHead = `Request Header Fields Too Large: the limit is ${maxHeaderSize} bytes`;
  const maxInflight = settings.maxInflight;
  const limited = maxInflight !== 0;
  const busyBody = `Too Many Requests: the runtime is at its limit of ${maxInflight} calls in flight (FUNC_MAX_INFLIGHT)`;
  const newContext = contextFactory(settings);
  // A foreign signature (lib/signatures) gets the body as it came, read whole: no JSON decoding
  // (no 400), no streamed multipart.
  const rawBody = settings.signature !== undefined && settings.signature !== 'kubeless';
  const inFlight = new InFlight(expire);
  let running = 0; // calls of the function not yet ended (inFlight also holds bodies being read)
  const metrics = createMetrics(() => running, exchangeMetrics);
  const cors = createCors(settings, logRequest);
  const ownProbe = createProbes({ metrics, readiness: createReadiness({ canRun, inFlight: () => inFlight.size, maxInflight }) });
  // A signature's own probe paths and hooks around the runtime's (knative), at no cost otherwise.
  const probe = wrapProbe === null ? ownProbe : wrapProbe(ownProbe);
  let served = false;
  const outcome = { began, returned, threw, claimed, lost };
  const invoker = makeInvoker(outcome);

  function log(call, res, bytes) {
    if (accessLog) logRequest(call.req, res, bytes, call.arrivalWall, call);
  }

  // ---- settling a call ------------------------------------------------------------------------

  /** Ends a call's accounting: in-flight list, metrics. Returns false if it had ended already. */
  function settle(call, failed) {
    if (call.done) return false;
    call.done = true;
    inFlight.remove(call);
    if (call.output !== null) endCall(call); // (JSON log format: its partial output lines)
    if (call.started !== 0) {
      running -= 1;
      watchdog.untrack(call);
      // Counted when it ends: a call still running belongs to the in-flight gauge, and one lost
      // with its worker is counted by the supervisor (never twice).
      const m = call.metrics;
      m.calls.inc();
      m.duration.observe((clock.now() - call.started) / 1000);
      if (failed) m.failures.inc();
      metricsChanged();
      if (!served) {
        served = true;
        onFirstCall();
      }
    }
    return true;
  }

  /** Ends a call with a runtime-made answer and its access-log line. */
  function answer(call, status, body, { failed = false, close = false } = {}) {
    if (!settle(call, failed)) return;
    const bytes = sendError(call.res, status, body, { close });
    log(call, call.res, bytes < 0 ? undefined : bytes);
  }

  /**
   * Answers a request whose body is not wanted (413, or 408 while it arrives) and closes the
   * connection gently: the answer is written straight to the socket, which is then half-closed
   * and drained of what the client still sends for up to LINGER_MS, so that a client still
   * uploading reads the answer instead of a connection reset.
   */
  function refuseBody(call, status, body) {
    if (!settle(call, false)) return;
    const bytes = refuse(call.req, call.res, status, body);
    log(call, call.res, bytes < 0 ? undefined : bytes);
  }

  /**
   * refuseBody's answer, for any request: `headers` ([name, value, …]) are added. Returns the
   * body's size, or -1 when the connection was cut instead.
   */
  function refuse(req, res, status, body, headers = undefined) {
    stopReading(req);
    const socket = res.socket;
    if (res.headersSent || socket === null || !socket.writable) return sendError(res, status, body, { close: true, headers });
    const extra = [];
    const more = res.cors === null ? headers : [...res.cors, ...(headers ?? [])];
    for (let i = 0; more !== undefined && i < more.length; i += 2) extra.push(`${more[i]}: ${more[i + 1]}`);
    res.statusCode = status;
    socket.end(rawAnswer(status, body, extra));
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    Object.assign(res, ABANDONED);
    return Buffer.byteLength(body);
  }

  /** The call failed: stderr gets `error: event-id=ID: what` (or its record), the caller a 500. */
  function failWith(call, what) {
    message(`error: event-id=${call.eventId}: ${what}`, 'ERROR', call);
    answer(call, 500, internalErrorBody(call.eventId), { failed: true });
    Object.assign(call.res, ABANDONED);
  }

  function threw(call, err) {
    if (call.done) {
      // already answered (408): the late failure is only logged
      message(`error: event-id=${call.eventId}: ${describeError(err)}`, 'ERROR', call);
      return;
    }
    if (clock.now() >= call.deadline) {
      // Past the deadline: a timeout, whatever the function made of its aborted signal (an
      // AbortError from fetch) before the deadline's own timer ran (CONTRACT §5).
      message(`error: event-id=${call.eventId}: ${describeError(err)}`, 'ERROR', call);
      expire(call);
      return;
    }
    failWith(call, describeError(err));
  }

  /**
   * The function starts now, or at `at` (clock.now() ms): at once in worker isolation, when an
   * executor takes the call in call isolation.
   */
  function began(call, at = clock.now()) {
    metrics.queued((at - call.deadline + timeoutMs) / 1000);
  }

  function lost(call, reason) {
    if (call.done) return;
    failWith(call, reason);
  }

  function unsendable(call, err) {
    failWith(call, `the function's result cannot be sent: ${err.message}`);
  }

  /** Turns the function's result into the response (CONTRACT §5). */
  function returned(call, value) {
    if (call.done) return;
    const res = call.res;
    if (res.headersSent || res.writableEnded) {
      followResponse(call, res);
      return;
    }
    if (clock.now() >= call.deadline) {
      // A result made at or after the deadline (in call isolation the executor's signal and the
      // front's timer fire at the same instant, on two clocks): the call timed out (CONTRACT §5).
      expire(call);
      return;
    }
    if (value instanceof Answer) {
      answerWith(call, res, value);
      return;
    }
    let converted;
    try {
      converted = convert(value);
      if (converted === null) {
        stream(call, res, value);
        return;
      }
      const bytes = sendBody(res, converted[0], converted[1]);
      settle(call, false);
      log(call, res, bytes);
    } catch (err) {
      unsendable(call, err instanceof Unsendable ? err : new Unsendable(err?.message ?? String(err)));
    }
  }

  /** A signature adapter's answer (responses.js Answer); its `failure`, if any, is logged. */
  function answerWith(call, res, value) {
    let bytes;
    try {
      bytes = sendAnswer(res, value);
    } catch (err) {
      unsendable(call, err);
      return;
    }
    if (value.failure !== null) message(`error: event-id=${call.eventId}: ${value.failure}`, 'ERROR', call);
    settle(call, value.failure !== null);
    log(call, res, bytes);
  }

  /** The function answers (or answered) by itself: the call ends when its response does. */
  function followResponse(call, res) {
    if (res.writableFinished) {
      settle(call, false);
      log(call, res);
      return;
    }
    res.once('close', () => {
      if (!settle(call, !res.writableFinished)) return;
      log(call, res);
    });
  }

  function stream(call, res, source) {
    if (!res.hasHeader('content-type')) res.setHeader('Content-Type', streamType(source));
    pipeline(source, res, (err) => {
      if (call.done) return;
      if (err) {
        threw(call, err);
        return;
      }
      settle(call, false);
      log(call, res);
    });
  }

  /** The deadline passed: 408, or a cut connection if the answer had started (CONTRACT §5). */
  function expire(call) {
    const { req, res } = call;
    const counted = call.started !== 0;
    if (counted) call.metrics.timeouts.inc();
    if (call.abort !== null) call.abort.abort(new DOMException(TIMEOUT_BODY, 'TimeoutError'));
    if (!counted && !req.complete) {
      refuseBody(call, 408, TIMEOUT_BODY); // the body still arriving (CONTRACT §5)
      return;
    }
    answer(call, 408, TIMEOUT_BODY, { failed: counted, close: true });
    Object.assign(res, ABANDONED);
    if (counted) invoker.cancel(call);
  }

  /** The watchdog answered a call that ended a moment too late: drop its connection. */
  function claimed(call) {
    if (!settle(call, true)) return;
    call.metrics.timeouts.inc();
    call.req.socket.destroy(); // (the watchdog thread logged the 408 it wrote)
    Object.assign(call.res, ABANDONED);
  }

  // ---- calling --------------------------------------------------------------------------------

  function callFunction(call, body, contentType) {
    const { req } = call;
    let data;
    if (body !== undefined) {
      if (!rawBody) {
        try {
          data = decodeData(body, contentType);
        } catch (err) {
          if (!(err instanceof MalformedBody)) throw err;
          answer(call, 400, err.message);
          return;
        }
      }
      req.body = body;
    }
    const event = buildEvent(call, data, contentType);
    const m = metrics.forMethod(req.method);
    call.metrics = m;
    running += 1;
    call.started = clock.now();
    watchdog.track(call);
    invoker.invoke(call, event, newContext(call));
  }

  // ---- requests -------------------------------------------------------------------------------

  /**
   * Stops taking a request body that will not be used: what the client still sends is read and
   * dropped until the connection closes.
   */
  function stopReading(req) {
    req.removeAllListeners('data');
    req.resume();
  }

  function tooLarge(call) {
    refuseBody(call, 413, tooLargeBody);
  }

  function readBody(call, contentType) {
    const req = call.req;
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge(call);
        return;
      }
      chunks.push(chunk);
    });
    // A client that goes away mid-body: forget the call at once rather than at its deadline.
    req.on('error', () => {});
    req.once('close', () => {
      if (req.complete || call.done) return;
      inFlight.remove(call);
      call.done = true;
      chunks.length = 0;
    });
    req.on('end', () => {
      if (call.done) return;
      callFunction(call, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), contentType);
    });
  }

  /** Whether a request to the function now would be answered 429 (FUNC_MAX_INFLIGHT). */
  function atLimit() {
    return limited && inFlight.size >= maxInflight;
  }

  /**
   * 429 at the in-flight limit (shared decisions §1): at once, the function not called. A body
   * is not read: the connection then closes, as after a 413.
   */
  function rejectBusy(req, res, headers) {
    metrics.forMethod(req.method).rejected.inc();
    const length = headers['content-length'];
    const hasBody = (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
    const bytes = hasBody ? refuse(req, res, 429, busyBody, RETRY_AFTER) : sendError(res, 429, busyBody, { headers: RETRY_AFTER });
    if (accessLog) {
      const ids = jsonLogs ? { eventId: headers['event-id'] ?? randomUUID(), trace: callTrace(headers, req.rawHeaders) } : undefined;
      logRequest(req, res, bytes < 0 ? undefined : bytes, Date.now(), ids);
    }
  }

  function onRequest(req, res) {
    const method = req.method;
    const headers = req.headers;
    if (headerBytes(req) > maxHeaderSize) {
      res.statusCode = 431;
      if (accessLog) logRequest(req, res, Buffer.byteLength(tooLargeHead));
      sendError(res, 431, tooLargeHead, { close: true });
      return;
    }
    if (cors !== null && cors(req, res, headers)) return;
    if ((method === 'GET' || method === 'HEAD') && probe(req, res, req.url)) return;
    if (limited && inFlight.size >= maxInflight) {
      rejectBusy(req, res, headers);
      return;
    }

    const arrivalWall = Date.now();
    const call = new Call(req, res, arrivalWall, clock.now() + timeoutMs, arrivalWall + timeoutMs);
    // Made at arrival: a request refused before the function runs (400, 413, the body's 408) is
    // logged with the ids it came with, as is one refused at the limit (rejectBusy).
    call.eventId = headers['event-id'] ?? randomUUID();
    call.trace = callTrace(headers, req.rawHeaders);
    inFlight.add(call);

    const contentType = headers['content-type'];
    const length = headers['content-length'];
    if (length !== undefined && Number(length) > limit) {
      tooLarge(call);
    } else if (isMultipart(contentType) && !rawBody) {
      callFunction(call, undefined, contentType);
    } else if ((length === undefined && headers['transfer-encoding'] === undefined) || length === '0') {
      callFunction(call, EMPTY, contentType);
    } else {
      readBody(call, contentType);
    }
  }

  /** Latest deadline among calls in flight, clock.now() ms (for the watchdog's heartbeat). */
  function latestDeadline() {
    return inFlight.tail === null ? -Infinity : inFlight.tail.deadline;
  }

  /**
   * An error the process caught outside any handler's own stack (uncaughtException,
   * unhandledRejection): the call whose code raised it, if any, fails now (or, answered already,
   * gets the error logged with its event id). Returns that call.
   */
  function failCurrent(err) {
    const call = invoker.current();
    if (call === undefined) return undefined;
    threw(call, err);
    return call;
  }

  /** The end of a drain: calls still running are answered 503 (CONTRACT §8). Returns how many. */
  function endRemaining() {
    let count = 0;
    for (const call of [...inFlight.entries()]) {
      if (call.started === 0) {
        answer(call, 503, 'Service Unavailable: the runtime is shutting down', { close: true });
        continue;
      }
      count += 1;
      message(`error: event-id=${call.eventId}: the runtime shut down before the call ended`, 'ERROR', call);
      answer(call, 503, shutdownBody(call.eventId), { failed: true, close: true });
      Object.assign(call.res, ABANDONED);
      invoker.cancel(call);
    }
    return count;
  }

  return { onRequest, atLimit, metrics, inFlight, latestDeadline, failCurrent, endRemaining, timeoutMs };
}

module.exports = { createApp };
