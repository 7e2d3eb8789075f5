'use strict';
// Calling the function (CONTRACT §5): the one seam between a request and the function's code.
//
// An invoker is `{invoke(call, event, context), cancel(call), current()}`:
// - `invoke` runs the function for `call` (an inflight.Call: req, res, eventId, deadline, …) and
//   settles its outcome exactly once through the `outcome` it was made with, after
//     outcome.began(call[, at])      the function starts now (or at `at`, clock.now() ms): the end
//                                    of its queue time
//   one of:
//     outcome.returned(call, value)  the function's result (a value, or what its Promise resolved to)
//     outcome.threw(call, error)     it threw or rejected
//     outcome.claimed(call)          the watchdog answered 408 first (synchronous part too long)
//     outcome.lost(call, reason)     the process running it died (call isolation; 500)
//   Outcomes that arrive after the app ended the call (a 408 at the deadline) are only logged.
// - `cancel(call)` is called when the app has answered a call that may still run (its deadline,
//   the client gone, the end of a drain): stop its work if the invoker can.
// - `current()` is the call whose code is running now (for the process's uncaught errors), or
//   undefined.
// This module is the in-process invoker (FUNC_ISOLATION=worker): the function runs on this event
// loop; the watchdog watches its synchronous part; AsyncLocalStorage ties the function's own
// callbacks (timers, promises) to its call, so an error thrown in them answers that call, and
// what they write is logged with its ids (capture.js, JSON log format).

const { AsyncLocalStorage } = require('node:async_hooks');
const watchdog = require('./watchdog');

const kFd = Symbol('fd');

/**
 * Where the watchdog may write a 408 for this call: its socket's descriptor, or -1 when output
 * is already queued there or the response waits behind an earlier one on a pipelined connection
 * (`res.socket` is null until the earlier responses are done).
 * `_handle.fd` is a Node internal without a public equivalent (CONTRACT §10, "Node internals").
 */
function watchdogFd(res) {
  const socket = res.socket;
  if (socket === null || socket.writableLength !== 0) return -1;
  let fd = socket[kFd];
  if (fd === undefined) fd = socket[kFd] = socket._handle?.fd ?? -1;
  return fd;
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

// The call whose code runs, across awaits and callbacks: one store per process.
const calls = new AsyncLocalStorage();

/** The call whose code is running now (the function's, in this process), or undefined. */
function currentCall() {
  return calls.getStore();
}

/** The in-process invoker of `handler`. */
function createInvoker(handler, outcome) {

  function settleResult(call, result) {
    if (!isThenable(result)) {
      outcome.returned(call, result);
      return;
    }
    try {
      result.then((value) => outcome.returned(call, value), (err) => outcome.threw(call, err));
    } catch (err) {
      outcome.threw(call, err); // a thenable whose then() throws
    }
  }

  function invoke(call, event, context) {
    outcome.began(call, call.started);
    watchdog.enterCall(call, watchdogFd(call.res));
    let result;
    try {
      result = calls.run(call, handler, event, context);
    } catch (err) {
      if (watchdog.leaveCall()) outcome.threw(call, err);
      else outcome.claimed(call);
      return;
    }
    if (watchdog.leaveCall()) settleResult(call, result);
    else outcome.claimed(call);
  }

  return {
    invoke,
    cancel() {}, // work on this event loop cannot be stopped from outside: context.signal tells it
    current: currentCall,
  };
}

module.exports = { createInvoker, currentCall };
