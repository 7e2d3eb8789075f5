'use strict';
// FUNC_SIGNATURE=fission: Fission's Node.js environment (fission/environments@45815b4
// nodejs/server.js; foreign-signatures.md §5; SHARED-DECISIONS-11b):
// - request → arguments: `context = {request, response}`, Express-shaped (lib/express.js), the
//   body parsed as the environment's parsers do (urlencoded simple, JSON, raw
//   application/octet-stream, text/*); a function of no parameters is called with none;
// - `fn.length <= 1`: its result (or what its Promise resolves to) is `{status, body, headers}`;
//   `fn.length >= 2`: `fn(context, callback)` with `callback(status, body, headers)`. Either way
//   the answer is made as server.js makes it: each header with res.set, res.status(status), then
//   a stream.Readable body piped and anything else res.send(body); a falsy status means the
//   function wrote to context.response itself (the call ends when that response does);
// - a throw or rejection: the contract's 500 (Fission answers 500 "Internal server error");
// - Express's defaults in the environment's app: `X-Powered-By: Express`, and res.send's weak ETag
//   with a 304 for a matching If-None-Match (lib/express.js ETAGS).

const { Readable, pipeline } = require('node:stream');
const { ETAGS } = require('../express');
const { parserStack, BodyError } = require('./bodies');
const { isThenable, describe, untilResponseOver } = require('./common');

// server.js: app.use(express.urlencoded({extended: false}), express.json(), express.raw(),
// express.text({type: 'text/*'})).
const parseBody = parserStack([
  ['form', ['application/x-www-form-urlencoded']],
  ['json', ['application/json']],
  ['raw', ['application/octet-stream']],
  ['text', ['text/*']],
]);

/** server.js's callback(status, body, headers) on `res`; `done(err)` when the answer is out. */
function send(res, status, body, headers, done) {
  if (headers !== null && typeof headers === 'object') {
    for (const name of Object.keys(headers)) res.set(name, headers[name]);
  }
  res.status(status);
  if (body instanceof Readable) {
    pipeline(body, res, (err) => done(err ?? null));
    return;
  }
  res.send(body);
}

/** A Fission function as a Kubeless handler: resolves when its response is over. */
function wrap(fn) {
  return (event) => {
    const req = event.extensions.request;
    const res = event.extensions.response;
    let parsed;
    try {
      parsed = parseBody(req);
    } catch (err) {
      if (err instanceof BodyError) return err.answer();
      throw err;
    }
    req.body = parsed.body;
    // Express's defaults in the environment's app: X-Powered-By, weak ETags (and 304s) on res.send
    res.setHeader('X-Powered-By', 'Express');
    res[ETAGS] = true;
    const context = { request: req, response: res };
    return untilResponseOver(res, (failed) => {
      let answered = false;
      const callback = (status, body, headers) => {
        if (answered || !status) return;
        answered = true;
        try {
          send(res, status, body, headers, (err) => {
            if (err !== null) failed(err);
          });
        } catch (err) {
          failed(err);
        }
      };
      try {
        if (fn.length >= 2) {
          fn(context, callback);
          return;
        }
        const result = fn.length === 0 ? fn() : fn(context);
        const take = (value) => {
          if (value === null || typeof value !== 'object') {
            failed(new TypeError(`the function's result is ${value === undefined ? 'undefined' : describe(value)}, not {status, body, headers}`));
            return;
          }
          callback(value.status, value.body, value.headers);
        };
        if (isThenable(result)) result.then(take, failed);
        else take(result);
      } catch (err) {
        failed(err);
      }
    });
  };
}

module.exports = { wrap, parseBody };
