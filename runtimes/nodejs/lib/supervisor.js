'use strict';
// The supervisor (cluster primary): owns the listening socket, runs one worker process that
// accepts on it directly (SCHED_NONE: no hop through this process), and replaces that worker when
// its watchdog reports it stuck or when it dies. During a replacement connections wait in the
// socket's backlog: the new worker is listening before the old one is stopped, so none is refused.
//
// It is also what survives a worker: it names and counts the calls a dying worker takes with it
// (CONTRACT §5), keeps the metrics of workers that are gone (metrics.js), backs off a worker that
// keeps dying before the runtime served a call, and bounds the shutdown (CONTRACT §8).

const cluster = require('node:cluster');
const { nodePath } = require('./loader');
const { modulePaths } = require('./signatures');
const { sumSnapshots, counterSnapshot } = require('./snapshots');
const { parseEntry } = require('./watchdog-slots');
const { message: logMessage } = require('./log-format');

/** How long a replaced worker has to answer the drain request before it is taken as stuck. */
const KILL_AFTER_MS = 500;
/** Start-up crash loop (CONTRACT §1.3): back-off from FIRST_BACKOFF_MS doubling to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;
const MAX_STARTUP_FAILURES = 5;
/** A second SIGTERM within this time of the first is the same stop, sent twice (CONTRACT §8). */
const SAME_SIGNAL_MS = 1000;

function note(text, severity = 'INFO') {
  logMessage(`kubeless-runtime: ${text}`, severity);
}

function describeExit(code, signal) {
  return signal ? `killed by signal ${signal}` : `exited with code ${code}`;
}

/** JSON lines from a worker's channel pipe (watchdog-thread.js, watchdog.reportCallsNow). */
function readLines(stream, onMessage) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    let end = pending.indexOf('\n');
    while (end !== -1) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      try {
        onMessage(JSON.parse(line));
      } catch {
        // a torn line of a dying worker: nothing to learn from it
      }
      end = pending.indexOf('\n');
    }
  });
}

/**
 * AsyncLocalStorage ties a function's callbacks to its call (invoker.js). Before Node.js 24 it
 * rides on async_hooks, whose hooks cost every call (the benchmark on Node.js 20: 0.65× the bare
 * server, 0.75× without AsyncLocalStorage); Node.js 22 has 24's implementation, AsyncContextFrame,
 * behind this flag, so its workers get it (measured on 22: about 10 % more calls per second with
 * it, noisy). A public, documented flag, on by default since Node.js 24.
 */
function asyncContextFlags() {
  const flag = '--experimental-async-context-frame';
  const major = Number(process.versions.node.split('.')[0]);
  return major < 24 && process.allowedNodeEnvironmentFlags.has(flag) && !process.execArgv.includes(flag) ? [flag] : [];
}

/**
 * Runs workers until a signal; exits with 0 after a drain, with a worker's exit code when it
 * fails before any worker listened (a start-up error it has already printed), or 1 after a
 * start-up crash loop or a second signal.
 */
function runSupervisor({ settings, source }) {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({
    args: process.argv.slice(2),
    execArgv: [...process.execArgv, ...asyncContextFlags()],
    // fd 4: a pipe on which a worker's watchdog thread reports (calls in flight, replacement).
    stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'],
  });
  const workerEnv = {
    KUBELESS_RUNTIME_FILE: source.file,
    KUBELESS_RUNTIME_SHOWN_AS: source.shownAs,
    NODE_PATH: nodePath(settings.installVolume, undefined, modulePaths(settings.signature)),
    // function_startup_seconds (worker.js): this process's start, Unix ms
    KUBELESS_RUNTIME_STARTED: String(Date.now() - process.uptime() * 1000),
  };

  let current = null;
  let replacing = false;
  let stopping = null; // {signal, at} of the first stop signal
  let announced = false;
  let served = false; // some worker answered a call: crashes no longer end the runtime
  let startupFailures = 0;
  let backoff = FIRST_BACKOFF_MS;

  // Metrics of workers that are gone (one folded snapshot), and the calls they took with them.
  let retired = [];
  const lost = { function_calls_total: {}, function_failures_total: {}, function_timeouts_total: {} };
  const latest = new Map(); // worker → its last snapshot

  function finish(code) {
    source.cleanup();
    process.exit(code);
  }

  function othersFor(worker) {
    const others = [retired, counterSnapshot(lost)];
    for (const [w, snapshot] of latest) if (w !== worker) others.push(snapshot);
    return others;
  }

  function retireMetrics(worker) {
    const snapshot = latest.get(worker);
    latest.delete(worker);
    if (snapshot !== undefined) retired = sumSnapshots(retired, snapshot);
  }

  function countLostCall(name, method) {
    lost[name][method] = (lost[name][method] ?? 0) + 1;
  }

  function onWorkerMessage(worker, message) {
    switch (message?.type) {
      case 'metrics':
        latest.set(worker, message.snapshot);
        if (!worker.isDead()) worker.send({ type: 'metrics-others', id: message.id, snapshots: othersFor(worker) }, () => {});
        break;
      case 'snapshot':
        latest.set(worker, message.snapshot);
        break;
      case 'startup': // the first worker ready: replacements report the same startup time
        workerEnv.KUBELESS_RUNTIME_STARTUP ??= String(message.seconds);
        break;
      case 'served':
        served = true;
        startupFailures = 0;
        break;
      case 'draining':
        worker.draining = true;
        break;
      case 'fatal': // call mode: the executors' start-up crash loop gave up (executor-pool.js)
        for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL');
        finish(1);
        break;
      default:
    }
  }

  function onWatchdogMessage(worker, message) {
    if (Array.isArray(message.calls)) worker.calls = message.calls;
    if (typeof message.claimed === 'string') worker.claimed = message.claimed;
    if (message.replace !== undefined) {
      worker.stuck = true;
      // During a shutdown nothing replaces it: a worker stuck in synchronous code cannot drain.
      if (stopping !== null) worker.process.kill('SIGKILL');
      else replace(worker);
    }
  }

  /** The calls a dead worker took with it: logged with their event ids, counted as failures. */
  function countLost(worker, code, signal) {
    const how = describeExit(code, signal);
    for (const entry of worker.calls) {
      const { method, eventId } = parseEntry(entry);
      countLostCall('function_calls_total', method);
      countLostCall('function_failures_total', method);
      if (entry === worker.claimed) {
        countLostCall('function_timeouts_total', method);
        continue; // answered 408 by the watchdog, and logged then
      }
      logMessage(`error: event-id=${eventId}: the call was lost: its worker died (${how})`, 'ERROR', parseEntry(entry));
    }
    worker.calls = [];
  }

  function fork() {
    const worker = cluster.fork(workerEnv);
    worker.listened = false;
    worker.draining = false;
    worker.calls = [];
    worker.claimed = null;
    worker.stuck = false; // its watchdog reported its event loop blocked
    readLines(worker.process.stdio[4], (message) => onWatchdogMessage(worker, message));
    worker.on('message', (message) => onWorkerMessage(worker, message));
    worker.once('listening', (address) => {
      worker.listened = true;
      if (served) {
        startupFailures = 0;
        backoff = FIRST_BACKOFF_MS;
      }
      if (!announced) {
        announced = true;
        note(`serving ${settings.handlerName} from ${source.shownAs} on http://${address.address ?? settings.host}:${address.port} (pid ${process.pid})`);
      }
    });
    worker.on('exit', (code, signal) => onExit(worker, code, signal));
    return worker;
  }

  function onExit(worker, code, signal) {
    const clean = code === 0 && !signal && worker.draining;
    if (!clean) countLost(worker, code, signal);
    retireMetrics(worker);
    afterExit(worker, code, signal, clean);
  }

  function afterExit(worker, code, signal, clean) {
    if (stopping !== null) {
      // cluster drops a worker from cluster.workers only once it has both exited and disconnected,
      // in either order: ask each worker whether it is dead instead of counting the table.
      if (Object.values(cluster.workers).every((w) => w === worker || w.isDead())) finish(0);
      return;
    }
    if (!announced) {
      // No worker ever listened: a start-up error the worker has printed (CONTRACT §1.3).
      finish(code ?? 1);
      return;
    }
    if (clean) return;
    const failedReplacement = replacing && worker !== current;
    if (worker !== current && !failedReplacement) return; // a retired worker: already replaced
    replacing = false;
    // A replacement that died before it listened leaves only the stuck worker: kill it too.
    if (failedReplacement && !current.isDead()) current.process.kill('SIGKILL');
    current = null;
    if (!served || !worker.listened) {
      // Before the first call served, a crash loop ends the runtime; after it, restarts back off.
      startupFailures += 1;
      if (!served && startupFailures >= MAX_STARTUP_FAILURES) {
        logMessage(`error: the function's workers keep failing at start: ${startupFailures} in a row died `
          + `before the runtime served a call (last: ${describeExit(code, signal)})`);
        finish(1);
        return;
      }
      note(`worker ${worker.process.pid} ${describeExit(code, signal)} ${served ? 'before it listened' : 'before serving a call'}; starting another in ${backoff} ms`, 'WARN');
      const wait = backoff;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      setTimeout(() => {
        if (stopping === null) current = fork();
      }, wait);
      return;
    }
    note(`worker ${worker.process.pid} ended (${describeExit(code, signal)}); starting another`, 'WARN');
    current = fork();
  }

  function replace(old) {
    if (replacing || stopping !== null || old !== current) return;
    replacing = true;
    const fresh = fork();
    fresh.once('listening', () => {
      current = fresh;
      replacing = false;
      retire(old, { stuck: true });
    });
  }

  /**
   * Asks a worker to drain (SIGTERM: the function's own listeners hear it too). A worker being
   * replaced because it is stuck cannot: without its answer within KILL_AFTER_MS it is killed.
   * One still running after the grace period is killed too.
   */
  function retire(old, { stuck = false } = {}) {
    if (old.isDead()) return;
    old.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      if (!old.isDead()) old.process.kill('SIGKILL');
    }, KILL_AFTER_MS + settings.gracePeriod * 1000);
    const stuckCheck = !stuck ? null : setTimeout(() => {
      if (!old.isDead() && !old.draining) old.process.kill('SIGKILL');
    }, KILL_AFTER_MS);
    old.once('exit', () => {
      clearTimeout(killer);
      clearTimeout(stuckCheck);
    });
  }

  function endNow(name) {
    note(`second ${name}: ending the drain now`, 'WARN');
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGKILL');
    source.cleanup();
    process.exit(1);
  }

  function onSignal(name) {
    const now = performance.now();
    if (stopping !== null) {
      // The same stop delivered twice (to the process and its group) is ignored; a later one, or
      // Ctrl-C twice, ends the drain at once.
      const twiceCtrlC = name === 'SIGINT' && stopping.signal === 'SIGINT';
      if (twiceCtrlC || now - stopping.at >= SAME_SIGNAL_MS) endNow(name);
      return;
    }
    stopping = { signal: name, at: now };
    const workers = Object.values(cluster.workers);
    if (workers.length === 0) finish(0);
    for (const worker of workers) {
      if (worker.listened) retire(worker, { stuck: worker.stuck });
      else worker.process.kill('SIGKILL');
    }
    // Whatever the function does, the shutdown ends within the grace period and a second: a
    // worker still there (frozen) is killed, its calls logged as lost as it exits.
    const bound = setTimeout(() => {
      for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGKILL');
      setTimeout(() => finish(0), 100).unref();
    }, settings.gracePeriod * 1000 + 800);
    bound.unref();
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  current = fork();
}

module.exports = { runSupervisor };
