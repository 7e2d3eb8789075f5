'use strict';
// A worker process: loads the function once, serves it, and drains on SIGTERM/SIGINT (which the
// supervisor forwards; the function's own signal listeners run too) or when the supervisor is
// gone. Talks to the supervisor over cluster's IPC channel (metrics snapshots, "served") and
// over the pipe on fd 4 (the watchdog's reports, supervisor.js).

const { loadSettings, UsageError } = require('./settings');
const { loadFunction } = require('./signatures');
const { LoadError } = require('./source');
const { createApp } = require('./app');
const { createInvoker, currentCall } = require('./invoker');
const { startExecutors } = require('./call-invoker');
const { createServer } = require('./server');
const { rawAnswer, TIMEOUT_BODY } = require('./responses');
const { setUpTable, startWatchdog, stopWatchdog, reportCallsNow } = require('./watchdog');
const { flushNow } = require('./accesslog');
const logFormat = require('./log-format');
const { installCapture } = require('./capture');

/** File descriptor of the pipe to the supervisor (stdio slot 4, see supervisor.js). */
const CHANNEL_FD = 4;
const SNAPSHOT_MS = 200;
/** How long the 503s of a drain's end get to reach their clients before the connections close. */
const FLUSH_MS = 200;

function startupError(settings, shownAs, err) {
  const code = err instanceof UsageError ? 2 : 1;
  let text = `error: cannot load handler ${settings.handlerName} from ${shownAs}: ${err.message}`;
  if (err.showStack && err.cause) text += `\n${err.cause?.stack ?? err.cause}`;
  logFormat.message(text);
  process.exit(code);
}

function send(message) {
  if (process.connected) process.send(message, () => {});
}

/** Metrics snapshots to and from the supervisor: see metrics.js. */
function metricsExchange() {
  let next = 0;
  const waiting = new Map();
  process.on('message', (message) => {
    if (message?.type !== 'metrics-others') return;
    const resolve = waiting.get(message.id);
    waiting.delete(message.id);
    resolve?.(message.snapshots);
  });
  return (snapshot) => new Promise((resolve) => {
    if (!process.connected) {
      resolve([]);
      return;
    }
    next += 1;
    const id = next;
    waiting.set(id, resolve);
    const timer = setTimeout(() => {
      if (waiting.delete(id)) resolve([]);
    }, 1000);
    timer.unref();
    process.send({ type: 'metrics', id, snapshot }, () => {});
  });
}

/**
 * Loads the function. While it loads nothing but the module may keep the process alive, so a
 * top-level await that never settles ends the process (instead of hanging without listening),
 * and that exit, like a `process.exit()` of the module, is reported as a start-up error.
 */
async function load(settings, file, shownAs) {
  const onExit = (code) => {
    logFormat.message(`error: cannot load handler ${settings.handlerName} from ${shownAs}: `
      + `the module ${code === 13 || code === 0 ? 'ended the process while loading (process.exit(), or a top-level await that never settles)' : `exited with code ${code} while loading`}`);
    process.exitCode = 1;
  };
  process.on('exit', onExit);
  process.channel?.unref();
  try {
    return await loadFunction(settings.signature, file, settings.functionName);
  } catch (err) {
    process.off('exit', onExit);
    if (err instanceof LoadError) startupError(settings, shownAs, err);
    return startupError(settings, shownAs, new LoadError(`${err?.message ?? err}`, { cause: err, showStack: true }));
  } finally {
    process.off('exit', onExit);
    process.channel?.ref();
  }
}

/**
 * function_startup_seconds: the supervisor's uptime when the first worker was ready, which the
 * supervisor hands to the workers that replace it (KUBELESS_RUNTIME_STARTUP); the first computes
 * it from the supervisor's start (KUBELESS_RUNTIME_STARTED, Unix ms) and reports it.
 */
function startupSeconds({ known, started }) {
  if (known) return Number(known);
  const since = Number(started);
  const seconds = started && Number.isFinite(since) ? Math.max(0, (Date.now() - since) / 1000) : process.uptime();
  send({ type: 'startup', seconds });
  return seconds;
}

async function runWorker() {
  const settings = loadSettings();
  logFormat.configure(settings.logFormat);
  // JSON log format: what the function writes becomes records (in call isolation it runs in the
  // executors, which capture their own).
  if (logFormat.isJson() && settings.isolation !== 'call') installCapture(currentCall);
  setUpTable({ logFormat: settings.logFormat });
  const file = process.env.KUBELESS_RUNTIME_FILE;
  const shownAs = process.env.KUBELESS_RUNTIME_SHOWN_AS || file;
  const startup = { known: process.env.KUBELESS_RUNTIME_STARTUP, started: process.env.KUBELESS_RUNTIME_STARTED };
  delete process.env.KUBELESS_RUNTIME_FILE;
  delete process.env.KUBELESS_RUNTIME_SHOWN_AS;
  delete process.env.KUBELESS_RUNTIME_STARTUP;
  delete process.env.KUBELESS_RUNTIME_STARTED;

  let app = null;
  let leave = null;
  // An error thrown in a function's own callback (a timer, a promise it did not return) fails the
  // call it belongs to; one outside any call is logged and the worker keeps serving.
  process.on('uncaughtException', (err) => {
    if (app?.failCurrent(err) === undefined) logFormat.message(`error: uncaught exception: ${err?.stack ?? err}`);
  });
  process.on('unhandledRejection', (reason) => {
    if (app?.failCurrent(reason) === undefined) logFormat.message(`error: unhandled promise rejection: ${reason?.stack ?? reason}`);
  });
  // The function's own listeners of these signals run first (they are called in the same emit;
  // the drain starts on the next turn of the event loop).
  process.on('SIGTERM', () => setImmediate(() => leave?.()));
  process.on('SIGINT', () => setImmediate(() => leave?.()));
  // Whatever ends this process, the supervisor learns which calls it takes with it.
  process.on('exit', reportCallsNow);

  // Call mode: the function runs in executor processes, never in this one (call-invoker.js).
  const executors = settings.isolation === 'call' ? await startExecutors(settings, file, shownAs) : null;
  const handler = executors === null ? await load(settings, file, shownAs) : null;
  // FUNC_SIGNATURE=knative: the function object's init/shutdown run where the calls run (here, or
  // in each executor), its health hooks decide the probes where they can (here, worker isolation).
  const knative = settings.signature === 'knative' ? require('./signatures/knative-lifecycle') : null;
  const hooks = knative === null ? null : handler?.lifecycle ?? null;
  if (hooks !== null) {
    try {
      await knative.start(hooks);
    } catch (err) {
      startupError(settings, shownAs, new LoadError(`init() failed: ${err?.message ?? err}`, { cause: err, showStack: true }));
    }
  }

  // The supervisor keeps this worker's counts for when it is gone: a snapshot at most
  // SNAPSHOT_MS after calls ended (none while idle).
  let snapshotTimer = null;
  const sendSnapshot = async () => {
    snapshotTimer = null;
    send({ type: 'snapshot', snapshot: await app.metrics.snapshot() });
  };
  app = createApp(settings, executors?.makeInvoker ?? ((outcome) => createInvoker(handler, outcome)), {
    exchangeMetrics: metricsExchange(),
    onFirstCall: () => send({ type: 'served' }),
    metricsChanged: () => {
      if (snapshotTimer !== null) return;
      snapshotTimer = setTimeout(sendSnapshot, SNAPSHOT_MS);
      snapshotTimer.unref();
    },
    canRun: executors?.canRun,
    wrapProbe: knative === null ? null : (probe) => knative.knativeProbe(probe, hooks, logFormat.message),
  });
  const { server, drain } = createServer(settings, app);
  server.on('error', (err) => {
    logFormat.message(`error: cannot listen on ${settings.host}:${settings.port}: ${err.message}`);
    process.exit(1);
  });

  let leaving = false;
  leave = async () => {
    if (leaving) return;
    leaving = true;
    send({ type: 'draining' });
    executors?.draining();
    const left = await drain(settings.gracePeriod * 1000);
    if (left > 0) {
      app.endRemaining();
      await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
    }
    server.closeAllConnections();
    if (hooks !== null) await knative.stop(hooks, logFormat.message);
    // knative in call isolation: each executor runs the function's shutdown() as it leaves.
    if (knative !== null && executors !== null) await executors.close();
    stopWatchdog();
    flushNow();
    clearTimeout(snapshotTimer);
    const snapshot = await app.metrics.snapshot();
    if (process.connected) {
      process.send({ type: 'snapshot', snapshot }, () => process.exit(0));
      setTimeout(() => process.exit(0), 500).unref();
    } else {
      process.exit(0);
    }
  };
  process.on('message', (message) => {
    if (message?.type === 'drain') leave();
  });
  // The supervisor is gone: nobody will ask again.
  process.on('disconnect', () => leave());

  const timeoutResponse = rawAnswer(408, TIMEOUT_BODY, settings.cors.mode === 'any' ? ['Access-Control-Allow-Origin: *'] : []);
  server.listen(settings.port, settings.host, () => {
    app.metrics.setStartup(startupSeconds(startup));
    if (executors !== null) return; // no function code runs here: nothing for a watchdog to watch
    startWatchdog({
      timeoutMs: app.timeoutMs,
      latestDeadline: app.latestDeadline,
      channelFd: CHANNEL_FD,
      timeoutResponse,
      accessLog: settings.accessLog,
      logFormat: settings.logFormat,
    });
  });
}

module.exports = { runWorker };
