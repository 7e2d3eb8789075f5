'use strict';
// An executor process (call mode, CONTRACT §5): loads the function with the worker's loader, then
// runs the calls the front sends it, one at a time, and sends back what the function answers. The
// front never runs user code; whatever the function does to this process (process.exit, abort, a
// throw in a timer, an endless loop, running out of memory) costs this one call.
//
// Started by executor-pool.js with child_process.fork; its settings come in KUBELESS_EXECUTOR
// (JSON: file, shownAs, handlerName, functionName, timeout, runtime, memoryLimit, logFormat,
// signature). With a foreign signature the adapter (lib/signatures) runs here, where the function
// runs: it builds the function's arguments and turns its result into an Answer, sent as RESULT.
// NODE_PATH comes in the environment, as for the worker (loader.js). With the JSON log format the
// calls run in an AsyncLocalStorage, so that what the function writes (capture.js) and an error
// that ends this process are logged with the ids of the call they belong to.

const { AsyncLocalStorage } = require('node:async_hooks');
const { pipeline } = require('node:stream');
const { makeRequest } = require('./executor-request');
const { ExecutorResponse } = require('./executor-response');
const { loadFunction } = require('./signatures');
const { decodeData } = require('./event');
const { TIMEOUT_BODY, Answer, applyAnswer, convert, streamType } = require('./responses');
const P = require('./executor-protocol');
const { traceFrom, setContextTrace } = require('./trace-context');
const logFormat = require('./log-format');
const { installCapture, endCall } = require('./capture');

function send(message) {
  if (process.connected) process.send(message);
}

function describeThrown(err) {
  if (err instanceof Error) return err.stack || String(err);
  let text;
  try {
    text = String(err);
  } catch {
    text = Object.prototype.toString.call(err);
  }
  return `a non-Error value was thrown: ${text}`;
}

/** One call in this executor. */
class Call {
  constructor(id, spec) {
    this.id = id;
    this.eventId = spec.e[0];
    this.trace = traceFrom(spec.t);
    this.output = null; // JSON log format: its partial output lines (capture.js)
    this.deadline = performance.now() + spec.ms; // local clock: the remaining time as sent
    this.deadlineUnix = spec.d;
    this.done = false; // its last message (RESULT, END, ERROR, FREE) is sent
    this.aborted = false; // the front answered it already (408, 503): it is about to be killed
    this.controller = null; // context.signal, made on first use
    this.timer = null;
    this.req = null;
    this.res = null;
  }
}

function runExecutor() {
  const settings = JSON.parse(process.env.KUBELESS_EXECUTOR);
  delete process.env.KUBELESS_EXECUTOR;
  let handler = null;
  let current = null;
  const rawBody = settings.signature !== undefined && settings.signature !== 'kubeless';
  const knative = settings.signature === 'knative';
  logFormat.configure(settings.logFormat);
  const calls = logFormat.isJson() ? new AsyncLocalStorage() : null;
  if (calls !== null) {
    installCapture(() => calls.getStore());
    // Node's own report of an uncaught error is plain text on stderr: the record instead, then
    // the same end (exit code 1: the front answers the call 500 as its executor died). Not when
    // the function listens for uncaught errors itself: then Node would not end the process.
    process.on('uncaughtException', (err, origin) => {
      if (process.listenerCount('uncaughtException') > 1) return;
      const call = calls.getStore() ?? null;
      const what = call !== null ? `event-id=${call.eventId}` : origin === 'unhandledRejection' ? 'unhandled promise rejection' : 'uncaught exception';
      logFormat.message(`error: ${what}: ${describeThrown(err)}`, 'ERROR', call);
      process.exit(1);
    });
  }

  // Terminal signals reach the whole process group: the front decides when executors end.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  // The front is gone: no call of this process can be answered any more.
  // Asked to leave (idle, a drain): a knative function's shutdown() runs first.
  process.on('disconnect', () => {
    const hooks = knative ? handler?.lifecycle : null;
    if (!hooks) process.exit(0);
    require('./signatures/knative-lifecycle').stop(hooks, logFormat.message).then(() => process.exit(0));
  });

  class Context {
    // The call record stays private: console.log(context) shows the contract's keys.
    #call;

    constructor(call) {
      this['function-name'] = settings.functionName;
      this.timeout = settings.timeout;
      this.runtime = settings.runtime;
      this['memory-limit'] = settings.memoryLimit;
      this.deadline = call.deadlineUnix;
      setContextTrace(this, call.trace);
      this.#call = call;
    }

    get signal() {
      return signalOf(this.#call);
    }
  }

  /** Aborted at the deadline, and when the client goes away (CONTRACT §4). */
  function signalOf(call) {
    if (call.controller === null) {
      call.controller = new AbortController();
      if (call.aborted) {
        call.controller.abort(new DOMException(TIMEOUT_BODY, 'TimeoutError'));
      } else if (!call.done) {
        call.timer = setTimeout(() => abortSignal(call, new DOMException(TIMEOUT_BODY, 'TimeoutError')),
          Math.max(0, call.deadline - performance.now()));
        call.timer.unref();
      }
    }
    return call.controller.signal;
  }

  function abortSignal(call, reason) {
    if (call.controller !== null && !call.controller.signal.aborted) call.controller.abort(reason);
  }

  /** The call's last message is sent: this executor is free for the next one. */
  function finish(call) {
    call.done = true;
    if (call.timer !== null) clearTimeout(call.timer);
    if (current === call) current = null;
    if (call.output !== null) endCall(call);
  }

  function runCall(id, spec) {
    const call = new Call(id, spec);
    current = call;
    const req = makeRequest(spec);
    const res = new ExecutorResponse(send, id, req, () => finish(call));
    call.req = req;
    call.res = res;
    res.once('close', () => {
      if (!res.writableFinished) abortSignal(call, new DOMException('The client went away', 'AbortError'));
    });
    const [eventId, eventType, eventTime, eventNamespace] = spec.e;
    const event = {
      data: spec.k === 's' || rawBody ? undefined : decodeData(req.body, spec.h['content-type']),
      'event-id': eventId,
      'event-type': eventType,
      'event-time': eventTime,
      'event-namespace': eventNamespace,
      extensions: { request: req, response: res },
    };
    let result;
    try {
      result = calls === null ? handler(event, new Context(call)) : calls.run(call, handler, event, new Context(call));
    } catch (err) {
      failed(call, err);
      return;
    }
    if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
      try {
        result.then((value) => returned(call, value), (err) => failed(call, err));
      } catch (err) {
        failed(call, err); // a thenable whose then() throws
      }
    } else {
      returned(call, result);
    }
  }

  /** The function's value becomes the answer (CONTRACT §5), unless it answered by itself. */
  function returned(call, value) {
    if (call.aborted) {
      if (!call.done) {
        send([P.FREE, call.id]);
        finish(call);
      }
      return;
    }
    const res = call.res;
    if (call.done || res.headersSent || res.writableEnded || res.destroyed) return; // END comes from res
    if (value instanceof Answer) {
      sendAnswer(call, res, value);
      return;
    }
    let converted;
    try {
      converted = convert(value);
    } catch (err) {
      cannotSend(call, err.message);
      return;
    }
    if (converted === null) {
      if (!res.hasHeader('content-type')) res.setHeader('Content-Type', streamType(value));
      pipeline(value, res, (err) => {
        if (err) failed(call, err);
      });
      return;
    }
    const [type, payload] = converted;
    const body = P.encodeChunk(payload);
    send([P.RESULT, call.id, res.takeHead(), body[0], body[1], type]);
    res.settleQuietly();
    finish(call);
  }

  /** A signature's answer: its head on `res`, its body and failure in the RESULT. */
  function sendAnswer(call, res, answer) {
    try {
      applyAnswer(res, answer);
    } catch (err) {
      cannotSend(call, err.message);
      return;
    }
    const body = P.encodeChunk(answer.body);
    send([P.RESULT, call.id, res.takeHead(), body[0], body[1], P.ANSWER_TYPE, answer.failure]);
    res.settleQuietly();
    finish(call);
  }

  function cannotSend(call, reason) {
    send([P.ERROR, call.id, `the function's result cannot be sent: ${reason}`]);
    call.res.settleQuietly();
    finish(call);
  }

  function failed(call, err) {
    const text = describeThrown(err);
    if (call.done || call.aborted) {
      // Answered (or given up) already: only logged, as in worker mode.
      logFormat.message(`error: event-id=${call.eventId}: ${text}`, 'ERROR', call);
      if (!call.done) {
        send([P.FREE, call.id]);
        finish(call);
      }
      return;
    }
    send([P.ERROR, call.id, text]);
    finish(call);
    call.res.destroy();
  }

  function onMessage(message) {
    const type = message[0];
    if (type === P.CALL) {
      runCall(message[1], message[2]);
      return;
    }
    const call = current;
    if (call === null || call.id !== message[1]) return; // about a call already over
    if (type === P.BODY) {
      call.req.push(Buffer.from(message[2], 'latin1'));
    } else if (type === P.BODY_END) {
      call.req.complete = true;
      call.req.push(null);
    } else if (type === P.BODY_ERROR) {
      call.req.destroy(new Error(message[2]));
    } else if (type === P.ACK) {
      call.res.acknowledged();
    } else if (type === P.ABORT) {
      if (message[2] !== 'timeout') {
        // The client went away: the function may notice (its signal) and finish; what it answers
        // is still reported, and dropped by the front. A response it streams is stopped now (a
        // stream it returned is destroyed by its pipeline), as in worker mode.
        abortSignal(call, new DOMException('The client went away', 'AbortError'));
        if (call.res.headersSent && !call.res.writableEnded) call.res.destroy();
        return;
      }
      // Answered 408 (or 503 at a drain's end): this executor is killed in a moment.
      call.aborted = true;
      abortSignal(call, new DOMException(TIMEOUT_BODY, 'TimeoutError'));
      if (!call.req.complete) call.req.destroy();
      call.res.destroy();
    }
  }

  load(settings).then(async (loaded) => {
    handler = loaded;
    if (knative && handler.lifecycle) await startHooks(settings, handler.lifecycle); // FUNC_SIGNATURE=knative: init() here
    process.on('message', onMessage);
    send([P.READY]);
  });
}

/** A knative function's init() in this executor; a failure is a start-up failure (exit 1 before READY). */
async function startHooks(settings, hooks) {
  try {
    await require('./signatures/knative-lifecycle').start(hooks);
  } catch (err) {
    logFormat.message(`error: cannot load handler ${settings.handlerName} from ${settings.shownAs}: init() failed: ${err?.message ?? err}\n${err?.stack ?? err}`);
    process.exit(1);
  }
}

/**
 * Loads the function as the worker does (worker.js `load`): a failure prints the contract's
 * start-up error and exits 1; so does a module that ends the process while loading
 * (`process.exit()`, a top-level await that never settles: the IPC channel is unreferenced
 * meanwhile, so only the module keeps the process alive).
 */
async function load(settings) {
  const prefix = `error: cannot load handler ${settings.handlerName} from ${settings.shownAs}: `;
  const onExit = (code) => {
    logFormat.message(`${prefix}the module ${code === 13 || code === 0
      ? 'ended the process while loading (process.exit(), or a top-level await that never settles)'
      : `exited with code ${code} while loading`}`);
    process.exitCode = 1;
  };
  process.on('exit', onExit);
  process.channel?.unref();
  try {
    return await loadFunction(settings.signature, settings.file, settings.functionName);
  } catch (err) {
    process.off('exit', onExit);
    let text = `${prefix}${err?.message ?? err}`;
    if (err?.showStack && err.cause) text += `\n${err.cause?.stack ?? err.cause}`;
    logFormat.message(text);
    return process.exit(1);
  } finally {
    process.off('exit', onExit);
    process.channel?.ref();
  }
}

if (require.main === module) runExecutor();

module.exports = { runExecutor };
