'use strict';
// The invoker of call mode (FUNC_ISOLATION=call, CONTRACT §5): the same interface as invoker.js,
// but the function runs in an executor process (executor-pool.js, executor.js), so nothing the
// function does can stop this process. Here a call becomes a message to an executor, and what the
// executor sends back becomes the call's response: a whole answer (the function's value), or the
// head and the bytes of a response the function writes itself, streamed as they come.

const { decodeChunk, ANSWER_TYPE } = require('./executor-protocol');
const { ExecutorPool } = require('./executor-pool');
const { JSON_TYPE, Answer } = require('./responses');
const { traceFields } = require('./trace-context');
const { message } = require('./log-format');

const kHandle = Symbol('executor call');

/** An error as the executor described it: the app logs its `stack` as it is. */
function reported(text) {
  const err = new Error(text.split('\n', 1)[0]);
  err.stack = text;
  return err;
}

/** Status, status message and headers the function set, onto the real response. */
function applyHead(res, head) {
  if (head === null) return;
  const [status, message, flat] = head;
  res.statusCode = status;
  if (message !== null) res.statusMessage = message;
  for (let i = 0; i < flat.length; i += 2) res.setHeader(flat[i], flat[i + 1]);
}

/**
 * A multipart body streams to the executor as the client sends it, bounded by `limit` (past it the
 * function's request stream fails with `tooLarge`); the client's socket waits while a piece is
 * written to the pipe.
 */
function forwardBody(req, handle, limit, tooLarge) {
  let size = 0;
  let over = false;
  req.on('data', (chunk) => {
    if (over) return;
    size += chunk.length;
    if (size > limit) {
      over = true;
      handle.bodyError(tooLarge);
      return;
    }
    req.pause();
    handle.body(chunk, () => req.resume());
  });
  req.on('end', () => {
    if (!over) handle.bodyEnd();
  });
  req.on('error', () => {});
  req.once('close', () => {
    if (!req.complete && !over) handle.bodyError('the client went away before the body was complete');
  });
}

/** `pool`: an ExecutorPool; `outcome`: the app's (invoker.js); `bodyLimit`: bytes. */
function createCallInvoker(pool, outcome, { bodyLimit, signature }) {
  // A foreign signature builds its arguments from the raw header list (duplicates as sent).
  const rawHeaders = signature !== undefined && signature !== 'kubeless';
  const tooLarge = `Request body too large: the limit is ${bodyLimit} bytes`;

  function unsendable(call, err) {
    outcome.lost(call, `the function's result cannot be sent: ${err.message}`);
  }

  /** What the pool reports about one call (executor-pool.js), applied to its response. */
  class Sink {
    constructor(call, streamed) {
      this.call = call;
      this.streamed = streamed;
      this.handle = null;
    }

    started(handle) {
      outcome.began(this.call);
      if (this.streamed) forwardBody(this.call.req, handle, bodyLimit, tooLarge);
    }

    result(head, payload, encoding, type, failure) {
      const call = this.call;
      if (call.done) return;
      const res = call.res;
      let value;
      try {
        applyHead(res, head);
        if (type === JSON_TYPE && !res.hasHeader('content-type')) res.setHeader('Content-Type', JSON_TYPE);
        value = type === null ? undefined : decodeChunk(payload, encoding);
        // A signature's answer: its status and headers came in the head.
        if (type === ANSWER_TYPE) value = new Answer(null, null, value, failure ?? null);
      } catch (err) {
        unsendable(call, err);
        return;
      }
      outcome.returned(call, value);
    }

    write(head, payload, encoding, wantAck) {
      const { call, handle } = this;
      const res = call.res;
      if (!call.done) {
        try {
          applyHead(res, head);
          const chunk = decodeChunk(payload, encoding);
          if (chunk.length === 0) res.flushHeaders();
          else res.write(chunk);
          // The response has started: the call ends when it does (the app follows it), also
          // when its client goes away meanwhile.
          if (head !== null) outcome.returned(call, undefined);
        } catch (err) {
          unsendable(call, err);
        }
      }
      if (!wantAck) return;
      if (call.done || !res.writableNeedDrain) handle.ack();
      else res.once('drain', () => handle.ack());
    }

    end(head, payload, encoding) {
      const call = this.call;
      if (call.done) return;
      try {
        applyHead(call.res, head);
        call.res.end(decodeChunk(payload, encoding));
      } catch (err) {
        unsendable(call, err);
        return;
      }
      outcome.returned(call, undefined); // the response is the function's own: the app follows it
    }

    error(text) {
      outcome.threw(this.call, reported(text));
    }

    died(how) {
      outcome.lost(this.call, `the call's executor died (${how})`);
    }
  }

  function invoke(call, event) {
    const { req, res } = call;
    const socket = req.socket;
    const streamed = req.body === undefined; // multipart: the function reads the stream itself
    const spec = {
      e: [event['event-id'], event['event-type'], event['event-time'], event['event-namespace']],
      m: req.method,
      u: req.url,
      v: req.httpVersion,
      h: req.headers,
      a: [socket.remoteAddress, socket.remotePort, socket.remoteFamily, socket.localAddress, socket.localPort],
      k: streamed ? 's' : 'b',
      b: streamed ? '' : req.body.toString('latin1'),
      d: call.deadlineWall / 1000,
      t: traceFields(call.trace),
      ms: 0, // the time left, set when an executor takes the call
    };
    if (rawHeaders) spec.r = req.rawHeaders;
    const sink = new Sink(call, streamed);
    const handle = pool.run(spec, sink, call.deadline);
    sink.handle = handle;
    call[kHandle] = handle;
    res.once('close', () => {
      if (!res.writableFinished) handle.abort('gone');
    });
  }

  return {
    invoke,
    /** The app answered the call (its deadline, the end of a drain): its executor is stopped. */
    cancel(call) {
      call[kHandle]?.abort('timeout');
    },
    current: () => undefined, // no function code runs in this process
  };
}

/**
 * Call mode in a worker: starts the executors (FUNC_EXECUTORS_MIN, at least one, which loads the
 * module) and resolves once one is ready. A module that cannot load ends this process with the
 * executor's exit code (the executor printed why); a start-up crash loop ends it with 1, after
 * telling the supervisor that this is final. Returns `{makeInvoker, draining, close, canRun}` for
 * worker.js (`canRun()`: readiness.js; `close()`: asks every executor to leave, resolves when they have).
 */
async function startExecutors(settings, file, shownAs) {
  const pool = new ExecutorPool({
    settings: {
      file,
      shownAs,
      handlerName: settings.handlerName,
      functionName: settings.functionName,
      timeout: settings.timeout,
      runtime: settings.runtime,
      memoryLimit: settings.memoryLimit,
      logFormat: settings.logFormat,
      signature: settings.signature,
    },
    min: settings.executorsMin,
    max: settings.concurrency,
    idleMs: settings.executorIdle * 1000,
    onFatal(line) {
      message(`error: ${line}: giving up`);
      if (process.connected) process.send({ type: 'fatal' }, () => process.exit(1));
      else process.exit(1);
    },
  });
  process.on('exit', () => pool.killAll());
  try {
    await pool.start();
  } catch (err) {
    process.exit(err.code ?? 1);
  }
  return {
    makeInvoker: (outcome) => createCallInvoker(pool, outcome, settings),
    draining: () => pool.signalAll('SIGTERM'),
    close: () => pool.close(),
    canRun: () => pool.canRun(),
  };
}

module.exports = { createCallInvoker, startExecutors };
