'use strict';
// The supervisor (cluster primary): owns the listening socket, runs one worker process that
// accepts on it directly (SCHED_NONE: no hop through this process), and replaces that worker when
// its watchdog reports it stuck. During a replacement connections wait in the socket's backlog:
// the new worker is listening before the old one is stopped, so none is refused.

const cluster = require('node:cluster');

/** How long a replaced worker has to answer the drain request before it is taken as stuck. */
const KILL_AFTER_MS = 500;

function note(text) {
  process.stderr.write(`kubeless-runtime: ${text}\n`);
}

/**
 * Runs workers until a signal; exits with 0 after a drain, or with a worker's exit code when it
 * fails before listening (a start-up error it has already printed).
 */
function runSupervisor({ settings, source }) {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({
    args: process.argv.slice(2),
    // fd 4: a pipe on which a worker's watchdog thread asks for its replacement.
    stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'],
  });
  const workerEnv = { KUBELESS_RUNTIME_FILE: source.file, KUBELESS_RUNTIME_SHOWN_AS: source.shownAs };

  let current = null;
  let replacing = false;
  let stopping = false;
  let announced = false;

  function finish(code) {
    source.cleanup();
    process.exit(code);
  }

  function fork() {
    const worker = cluster.fork(workerEnv);
    worker.listened = false;
    worker.process.stdio[4].on('data', () => replace(worker));
    worker.once('listening', (address) => {
      worker.listened = true;
      if (!announced) {
        announced = true;
        note(`serving ${settings.handlerName} from ${source.shownAs} on http://${address.address ?? settings.host}:${address.port} (pid ${process.pid})`);
      }
    });
    worker.on('exit', (code, signal) => onExit(worker, code, signal));
    return worker;
  }

  function onExit(worker, code, signal) {
    if (stopping) {
      // cluster drops a worker from cluster.workers only once it has both exited and disconnected,
      // in either order: ask each worker whether it is dead instead of counting the table.
      if (Object.values(cluster.workers).every((w) => w === worker || w.isDead())) finish(0);
      return;
    }
    if (!worker.listened) {
      // A start-up failure; during a replacement the old worker cannot be trusted either.
      if (replacing && current !== worker) current.process.kill('SIGKILL');
      finish(code ?? 1);
      return;
    }
    if (worker === current) {
      note(`worker ${worker.process.pid} ended (${signal ?? `exit code ${code}`}); starting another`);
      replacing = false;
      current = fork();
    }
  }

  function replace(old) {
    if (replacing || stopping || old !== current) return;
    replacing = true;
    const fresh = fork();
    fresh.once('listening', () => {
      current = fresh;
      replacing = false;
      retire(old);
    });
  }

  /**
   * Asks a worker to drain. A stuck one cannot hear it: without its answer within KILL_AFTER_MS
   * it is killed, and so is one still running after the grace period.
   */
  function retire(old) {
    if (old.isDead()) return;
    old.send({ type: 'drain' }, () => {});
    const killer = setTimeout(() => {
      if (!old.isDead()) old.process.kill('SIGKILL');
    }, KILL_AFTER_MS + settings.gracePeriod * 1000);
    const stuckCheck = setTimeout(() => {
      if (!old.isDead()) old.process.kill('SIGKILL');
    }, KILL_AFTER_MS);
    old.on('message', (message) => {
      if (message?.type === 'draining') clearTimeout(stuckCheck);
    });
    old.once('exit', () => {
      clearTimeout(killer);
      clearTimeout(stuckCheck);
    });
  }

  function onSignal(name) {
    if (stopping) {
      note(`second ${name}: exiting now`);
      for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGKILL');
      source.cleanup();
      process.exit(1);
    }
    stopping = true;
    const workers = Object.values(cluster.workers);
    if (workers.length === 0) finish(0);
    for (const worker of workers) {
      if (worker.listened) retire(worker);
      else worker.process.kill('SIGKILL');
    }
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  current = fork();
}

module.exports = { runSupervisor };
