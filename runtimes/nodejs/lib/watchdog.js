'use strict';
// The main thread's side of the watchdog (README "Timeouts"). A call's synchronous part is marked
// in shared memory (a few stores, no system call); a thread of our own watches those marks and the
// event loop's heartbeat, since a blocked event loop can do neither itself. The same memory holds
// the table of calls in flight, which the thread reports to the supervisor (watchdog-slots.js).

const fs = require('node:fs');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const clock = require('./clock');
const slots = require('./watchdog-slots');
const { message } = require('./log-format');

const { BYTES, SLOTS, SEQ, FD, SLOT, DEADLINE, BEAT, LATEST } = slots;
const BEAT_MS = 100;

const buffer = new SharedArrayBuffer(BYTES);
const shared = slots.views(buffer);
const { ints, floats } = shared;
const free = [];
for (let slot = SLOTS - 1; slot >= 0; slot -= 1) free.push(slot);
ints[SLOT] = -1;

let seq = 0;
let current = null; // the response of the call whose synchronous part runs now
let thread = null;
let beatTimer = null;
let channelFd = -1;
let withTrace = false; // JSON log format: the table's entries carry the calls' trace ids

/**
 * Starts the watchdog thread and the heartbeat; `latestDeadline()` gives the latest deadline of
 * the calls in flight (clock.now() ms), or -Infinity without any. `timeoutResponse`: the bytes of
 * the 408 the thread writes. `channelFd`: the pipe to the supervisor. `accessLog`: whether the
 * thread logs the 408s it writes; `logFormat`: in which format it logs.
 */
function startWatchdog({ timeoutMs, latestDeadline, channelFd: fd, timeoutResponse, accessLog, logFormat = 'apache' }) {
  channelFd = fd;
  const beat = () => {
    floats[BEAT] = clock.now();
    floats[LATEST] = latestDeadline();
  };
  beat();
  beatTimer = setInterval(beat, BEAT_MS);
  beatTimer.unref();
  thread = new Worker(path.join(__dirname, 'watchdog-thread.js'), {
    workerData: { buffer, timeoutMs, channelFd, beatMs: BEAT_MS, timeoutResponse, accessLog, logFormat },
    stdout: false,
    stderr: false,
  });
  thread.unref();
  thread.on('error', (err) => message(`error: the watchdog thread failed: ${err?.stack ?? err}`));
}

/**
 * With the JSON log format the entries of the table of calls in flight carry the calls' trace ids,
 * so that the records about them (the watchdog's 408, the supervisor's lost calls) do too.
 */
function setUpTable({ logFormat }) {
  withTrace = logFormat === 'json';
}

function stopWatchdog() {
  if (beatTimer !== null) clearInterval(beatTimer);
  if (thread !== null) thread.terminate();
  beatTimer = null;
  thread = null;
}

/**
 * Enters `call` in the table of calls in flight (it has its event id and method), and raises the
 * latest deadline of a call whose code may run to its deadline (arrival order is deadline order).
 */
function track(call) {
  floats[LATEST] = call.deadline;
  const slot = free.pop();
  if (slot === undefined) return; // over SLOTS calls at once: this one goes unnamed
  call.slot = slot;
  const req = call.req;
  const trace = withTrace ? slots.traceText(call.trace) : '';
  slots.writeEntry(shared, slot, `${req.method}\n${call.eventId}\n${req.socket.remoteAddress}\n${req.httpVersion}\n${trace}\n${req.url}\n${req.headers['user-agent'] ?? ''}`);
}

function untrack(call) {
  const slot = call.slot;
  if (slot < 0) return;
  call.slot = -1;
  slots.clearEntry(shared, slot);
  free.push(slot);
}

/**
 * Tells the supervisor, synchronously, which calls are in flight now: for an exit that takes
 * them with it (`process.exit()` in a function).
 */
function reportCallsNow() {
  if (channelFd < 0) return;
  try {
    fs.writeSync(channelFd, `${JSON.stringify({ calls: slots.readTable(shared) })}\n`);
  } catch {
    // no supervisor to tell
  }
}

/**
 * Marks the start of a call's synchronous part. `fd` is where the thread may write a 408 if this
 * part outlives `call.deadline` (clock.now() ms); -1 when nothing may be written there.
 */
function enterCall(call, fd) {
  seq = seq === 0x7fffffff ? 1 : seq + 1;
  current = call.res;
  floats[DEADLINE] = call.deadline;
  ints[FD] = fd;
  ints[SLOT] = call.slot;
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

module.exports = { setUpTable, startWatchdog, stopWatchdog, enterCall, leaveCall, responseStarted, track, untrack, reportCallsNow };
