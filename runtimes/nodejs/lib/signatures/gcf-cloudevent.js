'use strict';
// FUNC_SIGNATURE=gcf, CloudEvent functions (functions.cloudEvent(name, fn), or an export with
// FUNCTION_SIGNATURE_TYPE=cloudevent): the function of the event, made an HTTP function as the
// Functions Framework makes it (function_wrappers.ts wrapCloudEventFunction[WithCallback],
// cloud_events.ts, invoker.ts sendResponse; functions-framework-nodejs@f39924d):
// - the event: binary mode (ce-type, ce-specversion, ce-source and ce-id headers) → the ce-*
//   headers without their prefix, `data` the parsed body; otherwise (structured mode) the parsed
//   body itself (application/cloudevents+json); `traceparent` from its header;
// - `fn(event)` (its value or Promise), or `fn(event, callback)` for a function of two parameters;
// - the answer: undefined/null → 204, a number → JSON, anything else → res.send; an error → the
//   contract's 500 with `X-Google-Status: error` (FF: 500, the message).
// FF serves these on POST only; other methods are 404 here too (one line, not Express's page).
// Not done: FF's conversion of legacy background events (and Pub/Sub push bodies) to CloudEvents.

/** A CloudEvent function's error: answered with FF's `X-Google-Status: error`. */
class CloudEventError {
  constructor(cause) {
    this.cause = cause;
  }
}

const REQUIRED = ['ce-type', 'ce-specversion', 'ce-source', 'ce-id'];

/** The event of a request, as parseCloudEventRequest builds it. */
function eventOf(req) {
  let event = req.body;
  if (REQUIRED.every((name) => req.headers[name])) {
    event = {};
    for (const name of Object.keys(req.headers)) {
      if (name.startsWith('ce-')) event[name.slice(3)] = req.headers[name];
    }
    event.data = req.body;
  }
  const traceparent = req.headers.traceparent;
  if (traceparent && event !== null && typeof event === 'object') event.traceparent = traceparent;
  return event;
}

/** sendResponse(result, null, res). */
function sendResult(res, result) {
  if (result === undefined || result === null) res.sendStatus(204);
  else if (typeof result === 'number') res.json(result);
  else res.send(result);
}

/** The (req, res) function FF makes of a CloudEvent function; it rejects with CloudEventError. */
function cloudEventHandler(fn) {
  return (req, res) => {
    if (req.method !== 'POST') {
      res.status(404).set('Content-Type', 'text/plain').send(`Not Found: Cannot ${req.method} ${req.path} (a CloudEvent function takes POST requests)`);
      return undefined;
    }
    const event = eventOf(req);
    return new Promise((resolve, reject) => {
      let done = false;
      const callback = (err, result) => {
        if (done) return;
        done = true;
        if (err) {
          reject(new CloudEventError(err));
          return;
        }
        try {
          sendResult(res, result);
          resolve();
        } catch (sendErr) {
          // invoker.ts: a result that cannot be serialised is logged and answered 204
          console.error(`Error serializing return value: ${sendErr}`);
          if (!res.headersSent) res.sendStatus(204);
          resolve();
        }
      };
      if (fn.length > 1) {
        try {
          fn(event, callback);
        } catch (err) {
          callback(err);
        }
        return;
      }
      Promise.resolve().then(() => fn(event)).then((result) => callback(null, result), (err) => callback(err ?? new Error(String(err))));
    });
  };
}

module.exports = { cloudEventHandler, CloudEventError, eventOf };
