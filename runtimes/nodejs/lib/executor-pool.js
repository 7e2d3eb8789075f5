'use strict';
// The executors of call mode, seen from the front (CONTRACT §5, "call mode"): a pool of processes
// that run one call at a time. `min` are started with the runtime and kept; more are started on
// demand up to `max`; one above `min` that stays idle `idleMs` exits. A call waits (in arrival
// order) for a free executor. An executor that dies answers its call through `sink.died`; one
// whose call reached its deadline is killed (SIGKILL) a moment after the front answered 408, so
// the work really stops. Either way a fresh one replaces it as needed.

const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');
const P = require('./executor-protocol');
const clock = require('./clock');

const EXECUTOR_MAIN = path.join(__dirname, 'executor.js');
/** Between the deadline's ABORT (context.signal fires in the executor) and the SIGKILL. */
const KILL_GRACE_MS = 100;
/** An executor asked to leave (idle, shutdown) that is still there after this is killed. */
const LEAVE_MS = 1000;
/**
 * A call that finds every executor busy waits for one to free up. Up to EAGER executors, another
 * starts for it at once; beyond, only when no executor has freed up for GROW_AFTER_MS, and at most
 * one per core starts at a time. An executor is a fresh Node process (~0.1 CPU-s): worth starting
 * for calls that take a while, not for a stream of short ones that the running executors clear
 * faster. Measured with a trivial function on 2 cores (wrk -c16): 1 executor 7,100-7,300 req/s,
 * 2: 7,400-8,200, 4: 8,600-9,400 (the front and the executors overlap), 16: 3,400 (processes
 * fighting for the cores).
 */
const PARALLEL_STARTS = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
const EAGER = 2 * PARALLEL_STARTS;
const GROW_AFTER_MS = 25;
/** Start-up crash loop (shared decision 16): back-off from 100 ms doubling to 2 s, give up after 5. */
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 2000;
const STARTUP_FAILURES_FATAL = 5;

function describeExit(code, signal) {
  return signal ? `killed by signal ${signal}` : `exited with code ${code}`;
}

/** One executor process. */
class Executor {
  constructor(child) {
    this.child = child;
    this.pid = child.pid;
    this.state = 'starting'; // → idle ⇄ busy; → doomed (killed) / leaving (asked to exit) → dead
    this.task = null;
    this.idleTimer = null;
    this.everReady = false;
  }
}

/** One call handed to the pool; to the front it is the call's handle (the methods below). */
class Task {
  constructor(pool, id, spec, sink, deadline) {
    this.pool = pool;
    this.id = id;
    this.spec = spec;
    this.sink = sink;
    this.deadline = deadline; // clock.now() ms
    this.executor = null;
    this.state = 'queued'; // → running → over
    this.abandoned = false; // the front answered it (408, 503): its messages are dropped
    this.timer = null;
    this.queuedAt = 0;
  }

  /** The front gave up on the call: `'timeout'` or `'gone'` (ExecutorPool.abort). */
  abort(reason) {
    this.pool.abort(this, reason);
  }

  /** A piece of a streamed request body; `onSent` runs once it is written to the pipe. */
  body(chunk, onSent) {
    this.pool.post(this, [P.BODY, this.id, chunk.toString('latin1')], onSent);
  }

  bodyEnd() {
    this.pool.post(this, [P.BODY_END, this.id]);
  }

  bodyError(message) {
    this.pool.post(this, [P.BODY_ERROR, this.id, message]);
  }

  /** The front wrote the response bytes it was sent (a WRITE that asked for it). */
  ack() {
    this.pool.post(this, [P.ACK, this.id]);
  }
}

class ExecutorPool {
  /**
   * `settings`: what executors need (see executor.js); `min`, `max`, `idleMs`: the pool's size
   * rules; `onFatal(line)`: the start-up crash loop gave up (the caller prints it and exits 1);
   * `spawn(env)`: starts an executor process (tests may replace it).
   */
  constructor({ settings, min, max, idleMs, onFatal, spawn = defaultSpawn }) {
    this.settingsJson = JSON.stringify(settings);
    this.min = min;
    this.max = max;
    this.idleMs = idleMs;
    this.onFatal = onFatal;
    this.spawnProcess = spawn;
    this.executors = new Set();
    this.idle = []; // free executors, the most recently freed last (taken first)
    this.queue = [];
    this.nextId = 1;
    this.served = false; // a call has been answered: deaths no longer count as start-up failures
    this.startupFailures = 0;
    this.deadBeforeReady = 0; // in a row: the back-off for the next start
    this.respawnTimer = null;
    this.growTimer = null;
    this.lastFreed = 0; // clock.now() when an executor last became free
    this.closing = false;
    this.startWaiter = null; // {resolve, reject, waiting} of start()
  }

  /** Executors that are or will be able to take a call. */
  get live() {
    let count = 0;
    for (const ex of this.executors) if (ex.state === 'starting' || ex.state === 'idle' || ex.state === 'busy') count += 1;
    return count;
  }

  /**
   * Whether a call can run now (readiness.js): an executor is ready for it or running one, or,
   * once the runtime served a call or with FUNC_EXECUTORS_MIN=0, one can be started for it (not
   * while start-up failures back off).
   */
  canRun() {
    if (this.closing) return false;
    for (const ex of this.executors) if (ex.state === 'idle' || ex.state === 'busy') return true;
    return this.respawnTimer === null && (this.served || this.min === 0);
  }

  get starting() {
    let count = 0;
    for (const ex of this.executors) if (ex.state === 'starting') count += 1;
    return count;
  }

  /**
   * Starts `min` executors (at least one, which checks that the module loads). Resolves once they
   * are all ready; rejects with `{code}` when one exits before (it printed why).
   */
  start() {
    return new Promise((resolve, reject) => {
      const count = Math.max(1, this.min);
      this.startWaiter = { resolve, reject, waiting: count };
      for (let i = 0; i < count; i += 1) this.spawn();
    });
  }

  spawn() {
    const child = this.spawnProcess({ ...process.env, KUBELESS_EXECUTOR: this.settingsJson });
    const ex = new Executor(child);
    this.executors.add(ex);
    child.on('message', (message) => this.onMessage(ex, message));
    child.on('error', () => {}); // a failed send to a dying executor; 'exit' tells the rest
    child.once('exit', (code, signal) => this.onExit(ex, code, signal));
    return ex;
  }

  /** Hands a call to a free executor, or queues it. Returns the call's handle (a Task). */
  run(spec, sink, deadline) {
    const task = new Task(this, this.nextId, spec, sink, deadline);
    this.nextId += 1;
    const ex = this.idle.pop();
    if (ex !== undefined) {
      this.assign(ex, task);
    } else {
      task.queuedAt = clock.now();
      this.queue.push(task);
      const live = this.live;
      if (live < EAGER && live < this.max && this.starting < this.queue.length && this.respawnTimer === null) {
        this.spawn();
      } else if (this.growTimer === null) {
        this.armGrow(GROW_AFTER_MS);
      }
    }
    return task;
  }

  armGrow(ms) {
    this.growTimer = setTimeout(() => this.grow(), ms);
    this.growTimer.unref();
  }

  /** Starts executors for the calls that wait while none has freed up for GROW_AFTER_MS. */
  grow() {
    this.growTimer = null;
    if (this.closing || this.queue.length === 0) return;
    const now = clock.now();
    const since = Math.max(this.lastFreed, this.queue[0].queuedAt);
    if (now - since < GROW_AFTER_MS - 1) {
      this.armGrow(since + GROW_AFTER_MS - now);
      return;
    }
    let live = this.live;
    let starting = this.starting;
    while (this.respawnTimer === null && starting < Math.min(this.queue.length, PARALLEL_STARTS) && live < this.max) {
      this.spawn();
      live += 1;
      starting += 1;
    }
    this.armGrow(GROW_AFTER_MS);
  }

  assign(ex, task) {
    if (ex.idleTimer !== null) {
      clearTimeout(ex.idleTimer);
      ex.idleTimer = null;
    }
    ex.state = 'busy';
    ex.task = task;
    task.executor = ex;
    task.state = 'running';
    const spec = task.spec;
    spec.ms = Math.max(0, task.deadline - clock.now());
    ex.child.send([P.CALL, task.id, spec]);
    task.spec = null;
    task.sink.started?.(task);
  }

  /** A free executor takes the next queued call, or waits (and may leave when idle too long). */
  release(ex) {
    this.lastFreed = clock.now();
    const task = ex.task;
    if (task !== null) {
      task.state = 'over';
      if (task.timer !== null) clearTimeout(task.timer);
      ex.task = null;
    }
    if (ex.state !== 'busy' && ex.state !== 'starting') return;
    const next = this.queue.shift();
    if (next !== undefined) {
      this.assign(ex, next);
      return;
    }
    ex.state = 'idle';
    this.idle.push(ex);
    if (this.live > this.min) {
      ex.idleTimer = setTimeout(() => this.retireIdle(ex), this.idleMs);
      ex.idleTimer.unref();
    }
  }

  retireIdle(ex) {
    ex.idleTimer = null;
    if (ex.state !== 'idle' || this.live <= this.min) return;
    this.idle.splice(this.idle.indexOf(ex), 1);
    this.leave(ex);
  }

  /** Asks an executor to exit (it does when its IPC channel closes); killed if it does not. */
  leave(ex) {
    ex.state = 'leaving';
    if (ex.child.connected) ex.child.disconnect();
    const killer = setTimeout(() => ex.child.kill('SIGKILL'), LEAVE_MS);
    killer.unref();
    ex.child.once('exit', () => clearTimeout(killer));
  }

  /** Sends a message about a running call; `onSent` runs once it is written (or moot). */
  post(task, message, onSent) {
    const child = task.state === 'running' ? task.executor.child : null;
    if (child !== null && child.connected) child.send(message, onSent);
    else if (onSent !== undefined) onSent();
  }

  /**
   * `'timeout'`: the front answered the call (408 at its deadline, 503 at a drain's end): a queued
   * call is dropped; a running one's executor hears it (its context.signal fires) and is killed
   * KILL_GRACE_MS later unless it is free by then. `'gone'`: the client went away: the executor
   * hears it (context.signal) and the call goes on, its outcome still reported (the front settles
   * the call with it; what it writes is dropped there), its deadline still enforced by the front.
   */
  abort(task, reason) {
    if (reason === 'gone') {
      if (task.state === 'running' && !task.abandoned) this.post(task, [P.ABORT, task.id, reason]);
      return;
    }
    if (task.state === 'queued') {
      task.state = 'over';
      this.queue.splice(this.queue.indexOf(task), 1);
      return;
    }
    if (task.state !== 'running' || task.abandoned) return;
    task.abandoned = true;
    const ex = task.executor;
    if (ex.child.connected) ex.child.send([P.ABORT, task.id, reason]);
    task.timer = setTimeout(() => {
      if (ex.task === task) this.kill(ex);
    }, KILL_GRACE_MS);
    task.timer.unref();
  }

  /** Kills a busy executor whose call has to stop; a replacement starts if calls wait for one. */
  kill(ex) {
    ex.state = 'doomed';
    ex.child.kill('SIGKILL');
    this.ensure();
  }

  /** Starts executors to keep `min` and to serve queued calls (up to `max`). */
  ensure() {
    if (this.closing || this.respawnTimer !== null) return;
    let live = this.live;
    let starting = this.starting;
    while (live < this.min || (starting < this.queue.length && live < this.max)) {
      this.spawn();
      live += 1;
      starting += 1;
    }
  }

  onMessage(ex, message) {
    const type = message[0];
    if (type === P.READY) {
      ex.everReady = true;
      this.deadBeforeReady = 0;
      const waiter = this.startWaiter;
      if (waiter !== null) {
        waiter.waiting -= 1;
        if (waiter.waiting === 0) {
          this.startWaiter = null;
          waiter.resolve();
        }
      }
      if (ex.state === 'starting') this.release(ex);
      return;
    }
    const task = ex.task;
    if (task === null || task.id !== message[1]) return;
    if (task.abandoned) {
      // The front answered already; the executor is free once the call's last message came.
      if (type !== P.WRITE) {
        if (type !== P.FREE) this.served = true;
        this.release(ex);
      } else if (message[5]) {
        ex.child.send([P.ACK, task.id]);
      }
      return;
    }
    const sink = task.sink;
    switch (type) {
      case P.WRITE:
        sink.write(message[2], message[3], message[4], message[5]);
        return;
      case P.RESULT:
        this.served = true;
        this.release(ex);
        sink.result(message[2], message[3], message[4], message[5], message[6]);
        return;
      case P.END:
        this.served = true;
        this.release(ex);
        sink.end(message[2], message[3], message[4]);
        return;
      case P.ERROR:
        this.served = true;
        this.release(ex);
        sink.error(message[2]);
        return;
      case P.FREE:
        this.release(ex);
        return;
      default:
    }
  }

  onExit(ex, code, signal) {
    const state = ex.state;
    ex.state = 'dead';
    this.executors.delete(ex);
    if (ex.idleTimer !== null) clearTimeout(ex.idleTimer);
    const at = this.idle.indexOf(ex);
    if (at !== -1) this.idle.splice(at, 1);
    const task = ex.task;
    if (task !== null) {
      ex.task = null;
      if (task.timer !== null) clearTimeout(task.timer);
      const answered = task.abandoned;
      task.state = 'over';
      if (!answered) task.sink.died(describeExit(code, signal));
    }
    if (this.closing || state === 'leaving' || state === 'doomed') {
      this.ensure();
      return;
    }
    if (!ex.everReady) this.deadBeforeReady += 1;
    if (this.startWaiter !== null) {
      // The module could not be loaded (or killed its process): the executor printed why; the
      // runtime does not start.
      this.startWaiter.reject(Object.assign(new Error(`executor ${describeExit(code, signal)}`), { code: code || 1 }));
      this.startWaiter = null;
      this.closing = true;
      return;
    }
    if (!this.served && task === null) {
      // Dead before the runtime served a call, and not because of one: a start-up failure.
      this.startupFailures += 1;
      if (this.startupFailures >= STARTUP_FAILURES_FATAL) {
        this.closing = true;
        this.onFatal(`the function's executor died ${this.startupFailures} times in a row before the first call was served (last: ${describeExit(code, signal)})`);
        return;
      }
    }
    if (this.deadBeforeReady > 0 || (!this.served && task === null)) {
      this.respawnLater(Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (Math.max(this.deadBeforeReady, this.startupFailures) - 1)));
    } else {
      this.ensure();
    }
  }

  respawnLater(delay) {
    if (this.respawnTimer !== null) return;
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = null;
      if (this.live === 0 && !this.closing) this.spawn();
      this.ensure();
    }, delay);
  }

  /** Stops every executor (after the drain). Resolves once all have exited. */
  close() {
    this.closing = true;
    if (this.respawnTimer !== null) clearTimeout(this.respawnTimer);
    if (this.growTimer !== null) clearTimeout(this.growTimer);
    this.respawnTimer = null;
    for (const task of this.queue) task.state = 'over';
    this.queue.length = 0;
    this.idle.length = 0;
    const exits = [];
    for (const ex of this.executors) {
      if (ex.idleTimer !== null) clearTimeout(ex.idleTimer);
      exits.push(new Promise((resolve) => ex.child.once('exit', resolve)));
      if (ex.state !== 'doomed') this.leave(ex);
    }
    return Promise.all(exits);
  }

  /** Sends `signal` to every executor (SIGTERM at a drain: the function's own listeners run). */
  signalAll(signal) {
    for (const ex of this.executors) ex.child.kill(signal);
  }

  /** Kills every executor at once (this process exits: none may outlive it). */
  killAll() {
    this.closing = true;
    for (const ex of this.executors) ex.child.kill('SIGKILL');
  }

  /** Executors now, by state (for tests and diagnostics). */
  counts() {
    const counts = { starting: 0, idle: 0, busy: 0, doomed: 0, leaving: 0, queued: this.queue.length };
    for (const ex of this.executors) counts[ex.state] += 1;
    return counts;
  }

  pids() {
    return [...this.executors].map((ex) => ex.pid);
  }
}

function defaultSpawn(env) {
  const childEnv = { ...env };
  delete childEnv.NODE_UNIQUE_ID; // set for cluster workers: an executor is not one
  return fork(EXECUTOR_MAIN, [], { env: childEnv, serialization: P.SERIALIZATION });
}

module.exports = { ExecutorPool, KILL_GRACE_MS, describeExit };
