'use strict';
// The watchdog thread: sees what the blocked main thread cannot (README "Timeouts").
// - A call whose synchronous part outlives its deadline is claimed: 408 is written straight to its
//   socket (the main thread is stuck, so nothing else writes there), then the process asks the
//   supervisor for a replacement. JavaScript cannot be interrupted safely from outside the main
//   thread in Node (V8 termination corrupts Node's async state), so the stuck process must go.
// - An event loop silent for over a second while every call that could be blocking it is past
//   its deadline (a loop after an `await`), or for longer than any call may run, also asks for a
//   replacement; no 408 can be sent then.
// - Every REPORT_MS at most, when the table of calls in flight changed, it tells the supervisor
//   which calls are in flight, so that the calls a dying worker takes with it can be named.
// Messages to the supervisor are JSON lines on the channel pipe (supervisor.js reads them).

const fs = require('node:fs');
const { workerData } = require('node:worker_threads');
const clock = require('./clock');
const slots = require('./watchdog-slots');
const { formatLine, accessRecord } = require('./accesslog');
const { record, SCOPE_RUNTIME } = require('./log-format');

const { SEQ, FD, CHANGES, SLOT, DEADLINE, BEAT, LATEST } = slots;
// timeoutResponse: the complete 408 answer's bytes (responses.rawAnswer, made by the main thread)
const { buffer, timeoutMs, channelFd, beatMs, timeoutResponse, accessLog, logFormat } = workerData;
const json = logFormat === 'json';
const shared = slots.views(buffer);
const { ints, floats } = shared;
const CHECK_MS = 20;
const REPORT_MS = 100;
// (workerData hands a Buffer over as a plain Uint8Array)
const TIMEOUT_BODY_BYTES = timeoutResponse.length - Buffer.from(timeoutResponse).indexOf('\r\n\r\n') - 4;
const SILENCE_MS = 1000 + beatMs;

let asked = false;
let reportedChanges = 0;
let reportedAt = 0;

function send(message) {
  fs.writeSync(channelFd, `${JSON.stringify(message)}\n`);
}

function reportCalls(now) {
  const changes = Atomics.load(ints, CHANGES);
  if (changes === reportedChanges || now - reportedAt < REPORT_MS) return;
  reportedChanges = changes;
  reportedAt = now;
  try {
    send({ calls: slots.readTable(shared) });
  } catch {
    // the supervisor is gone; the worker drains on its own
  }
}

/** The access-log line (or record) of the 408 this thread wrote (the main thread is blocked). */
function log408(entry) {
  const fields = slots.parseEntry(entry);
  const { method, remote, url = '', httpVersion = '1.1' } = fields;
  const agent = fields.agent || undefined;
  const arrival = Date.now() - (clock.now() - (floats[DEADLINE] - timeoutMs));
  try {
    fs.writeSync(1, json ? accessRecord(remote, arrival, method, url, httpVersion, 408, TIMEOUT_BODY_BYTES, undefined, agent, fields)
      : formatLine(remote, arrival, method, url, httpVersion, 408, TIMEOUT_BODY_BYTES, agent));
  } catch {
    // stdout gone
  }
}

function askForReplacement(reason, claimed = null) {
  if (asked) return;
  asked = true;
  const call = claimed === null ? null : slots.parseEntry(claimed);
  const text = `error: ${call === null ? '' : `event-id=${call.eventId}: `}${reason}: replacing worker process ${process.pid}`;
  // Straight to the descriptor: a worker thread's process.stderr goes through the (blocked) main thread.
  try {
    if (json) fs.writeSync(1, record('ERROR', text, SCOPE_RUNTIME, call));
    else fs.writeSync(2, `${text}\n`);
  } catch {
    // stderr gone: the replacement still happens
  }
  try {
    send({ calls: slots.readTable(shared), claimed, replace: process.pid });
  } catch {
    // no supervisor to ask: end the process, a platform restarts it
    process.kill(process.pid, 'SIGKILL');
  }
}

function check() {
  if (asked) return;
  const now = clock.now();
  const seq = Atomics.load(ints, SEQ);
  if (seq > 0 && now >= floats[DEADLINE]) {
    if (Atomics.compareExchange(ints, SEQ, seq, -1) === seq) {
      const fd = ints[FD];
      const slot = ints[SLOT];
      const entry = slot >= 0 ? slots.readEntry(shared, slot) : null;
      if (fd >= 0) {
        try {
          fs.writeSync(fd, timeoutResponse);
          if (accessLog && entry !== null) log408(entry);
        } catch {
          // the client went away or its buffer is full: the replacement closes the connection
        }
      }
      askForReplacement('the call is still running synchronous code past its deadline', entry);
      return;
    }
  }
  const silent = now - floats[BEAT];
  // Blocked outside a synchronous part: whichever call's code blocks it (if a call's does) was
  // called before the block, so once the latest deadline of the calls called by then has passed
  // (LATEST: set at every call, reset at every beat), the blocker is overdue whichever call it is.
  // A call that merely runs long within its own time never gets its worker replaced because
  // another call's deadline passed.
  const latest = floats[LATEST];
  const overdue = latest === -Infinity ? silent > timeoutMs + SILENCE_MS : now > latest + CHECK_MS;
  if (seq <= 0 && silent > SILENCE_MS && overdue) {
    askForReplacement(`the event loop has been blocked for ${Math.round(silent)} ms past a deadline`);
    return;
  }
  reportCalls(now);
}

setInterval(check, CHECK_MS);
