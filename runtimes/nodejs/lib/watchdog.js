'use strict';
// The main thread's side of the watchdog (README "Timeouts"). A call's synchronous part is marked
// in shared memory (a few stores, no system call); a thread of our own watches those marks and the
// event loop's heartbeat, since a blocked event loop can do neither itself.

const path = require('node:path');
const { Worker } = require('node:worker_threads');
const clock = require('./clock');
const { BYTES, SEQ, FD, DEADLINE, BEAT, EARLIEST, views } = require('./watchdog-slots');

const BEAT_MS = 100;

const buffer = new SharedArrayBuffer(BYTES);
const { ints, floats } = views(buffer);

let seq = 0;
let current = null; // the response of the call whose synchronous part runs now
let thread = null;
let beatTimer = null;

/** Starts the watchdog thread and the heartbeat; `earliestDeadline()` gives clock.now() ms or Infinity. */
function startWatchdog({ timeoutMs, earliestDeadline, channelFd, timeoutResponse }) {
  const beat = () => {
    floats[BEAT] = clock.now();
    floats[EARLIEST] = earliestDeadline();
  };
  beat();
  beatTimer = setInterval(beat, BEAT_MS);
  beatTimer.unref();
  thread = new Worker(path.join(__dirname, 'watchdog-thread.js'), {
    workerData: { buffer, timeoutMs, channelFd, beatMs: BEAT_MS, timeoutResponse },
    stdout: false,
    stderr: false,
  });
  thread.unref();
  thread.on('error', (err) => process.stderr.write(`error: the watchdog thread failed: ${err?.stack ?? err}\n`));
}

function stopWatchdog() {
  if (beatTimer !== null) clearInterval(beatTimer);
  if (thread !== null) thread.terminate();
  beatTimer = null;
  thread = null;
}

/**
 * Marks the start of a call's synchronous part. `fd` is where the thread may write a 408 if this
 * part outlives `deadline` (clock.now() ms); -1 when nothing may be written there.
 */
function enterCall(res, fd, deadline) {
  seq = seq === 0x7fffffff ? 1 : seq + 1;
  current = res;
  floats[DEADLINE] = deadline;
  ints[FD] = fd;
  Atomics.store(ints, SEQ, seq);
}

/**
 * Marks its end. Returns false when the watchdog claimed the call first: it has then answered
 * 408 on the socket itself (if it could) and asked for this process to be replaced.
 */
function leaveCall() {
  current = null;
  const mine = seq;
  const was = Atomics.compareExchange(ints, SEQ, mine, 0);
  if (was === mine) return true;
  Atomics.store(ints, SEQ, 0);
  return false;
}

/** Called before a response writes its head: a 408 must not follow bytes the function sent. */
function responseStarted(res) {
  if (res === current) ints[FD] = -1;
}

module.exports = { startWatchdog, stopWatchdog, enterCall, leaveCall, responseStarted };
