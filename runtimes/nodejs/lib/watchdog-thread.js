'use strict';
// The watchdog thread: sees what the blocked main thread cannot (README "Timeouts").
// - A call whose synchronous part outlives its deadline is claimed: 408 is written straight to its
//   socket (the main thread is stuck, so nothing else writes there), then the process asks the
//   supervisor for a replacement. JavaScript cannot be interrupted safely from outside the main
//   thread in Node (V8 termination corrupts Node's async state), so the stuck process must go.
// - An event loop silent for over a second while a deadline has passed (a loop after an `await`)
//   or for longer than any call may run also asks for a replacement; no 408 can be sent then.

const fs = require('node:fs');
const { workerData } = require('node:worker_threads');

const clock = require('./clock');
const { SEQ, FD, DEADLINE, BEAT, EARLIEST, views } = require('./watchdog-slots');

// timeoutResponse: the complete 408 answer's bytes (responses.rawAnswer, made by the main thread)
const { buffer, timeoutMs, channelFd, beatMs, timeoutResponse } = workerData;
const { ints, floats } = views(buffer);
const CHECK_MS = 20;
const SILENCE_MS = 1000 + beatMs;

let asked = false;

function askForReplacement(reason) {
  if (asked) return;
  asked = true;
  // Straight to fd 2: a worker thread's process.stderr goes through the (blocked) main thread.
  try {
    fs.writeSync(2, `error: ${reason}: replacing worker process ${process.pid}\n`);
  } catch {
    // stderr gone: the replacement still happens
  }
  try {
    fs.writeSync(channelFd, `replace ${process.pid}\n`);
  } catch {
    // no supervisor to ask: end the process, a platform restarts it
    process.kill(process.pid, 'SIGKILL');
  }
}

function check() {
  if (asked) return;
  const now = clock.now();
  const seq = Atomics.load(ints, SEQ);
  if (seq > 0) {
    if (now < floats[DEADLINE]) return; // a synchronous part within its time
    if (Atomics.compareExchange(ints, SEQ, seq, -1) !== seq) return; // it just ended
    const fd = ints[FD];
    if (fd >= 0) {
      try {
        fs.writeSync(fd, timeoutResponse);
      } catch {
        // the client went away or its buffer is full: the replacement closes the connection
      }
    }
    askForReplacement('a call is still running synchronous code past its deadline');
    return;
  }
  const silent = now - floats[BEAT];
  if (silent > SILENCE_MS && (now > floats[EARLIEST] + CHECK_MS || silent > timeoutMs + SILENCE_MS)) {
    askForReplacement(`the event loop has been blocked for ${Math.round(silent)} ms past a deadline`);
  }
}

setInterval(check, CHECK_MS);
