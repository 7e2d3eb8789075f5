'use strict';
// The `event` and `context` a function is called with (CONTRACT §3, §4; the trace keys: shared
// decisions §2).

const { TIMEOUT_BODY } = require('./responses');
const { isoTime } = require('./log-format');
const { setContextTrace } = require('./trace-context');

const JSON_CONTENT_TYPE = /^application\/(?:[^;\s/]+\+)?json\s*(?:;|$)/i;
const MULTIPART = /^multipart\//i;

/** A JSON body that does not parse: the app answers 400 with `message`. */
class MalformedBody extends Error {}

function isMultipart(contentType) {
  return contentType !== undefined && MULTIPART.test(contentType);
}

/** `event.data` for a body read whole (CONTRACT §3): parsed JSON, or a UTF-8 string. */
function decodeData(body, contentType) {
  if (contentType !== undefined && JSON_CONTENT_TYPE.test(contentType)) {
    if (body.length === 0) return null;
    try {
      return JSON.parse(body.toString());
    } catch (err) {
      throw new MalformedBody(`Bad Request: malformed JSON body: ${err.message}`);
    }
  }
  return body.length === 0 ? '' : body.toString();
}

/** The event of `call` (its `eventId` was set at its arrival); `data` is already decoded. */
function buildEvent(call, data, contentType) {
  const { req, res } = call;
  const headers = req.headers;
  const eventId = call.eventId;
  return {
    data,
    'event-id': eventId,
    'event-type': headers['event-type'] ?? contentType ?? '',
    'event-time': headers['event-time'] ?? isoTime(call.arrivalWall),
    'event-namespace': headers['event-namespace'] ?? 'http',
    extensions: { request: req, response: res },
  };
}

/** The context's constant part, from the settings; `newContext` adds the per-call part. */
function contextFactory(settings) {
  const { functionName, timeout, runtime, memoryLimit } = settings;

  class Context {
    // The runtime's call record stays private: console.log(context) shows the contract's keys.
    #call;

    constructor(call) {
      this['function-name'] = functionName;
      this.timeout = timeout;
      this.runtime = runtime;
      this['memory-limit'] = memoryLimit;
      this.deadline = call.deadlineWall / 1000;
      setContextTrace(this, call.trace);
      this.#call = call;
    }

    /** Aborted at the deadline and when the client goes away; made on first use. */
    get signal() {
      const call = this.#call;
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

  return (call) => new Context(call);
}

module.exports = { MalformedBody, isMultipart, decodeData, buildEvent, contextFactory };
