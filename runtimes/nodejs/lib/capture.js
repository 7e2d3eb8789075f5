'use strict';
// JSON log format (shared decisions §2): what the function writes becomes records on stdout, one
// per line, tagged with the call it belongs to. Installed only with FUNC_LOG_FORMAT=json, in the
// process that runs the function's code (the worker, or each executor), before the module loads.
//
// - `process.stdout.write` and `process.stderr.write` are replaced (stdout INFO, stderr ERROR,
//   `log.iostream` says which); `console.*` writes through them, and its methods are wrapped to
//   give their severity (debug DEBUG, log/info INFO, warn WARN, error/trace ERROR).
// - The call is the one whose code runs: `current()` reads the AsyncLocalStorage the invoker runs
//   each call in, so output after an `await`, in a timer or an event handler of the call is its.
// - A line without its newline yet is held per call and per stream until the newline, or until
//   the call ends (`endCall`). A call that has ended already writes its lines at once.
// - The records one write makes go out in one write of the runtime's own stdout: lines of
//   concurrent calls never mix.
// Output written to the file descriptors directly (fs.writeSync(1), a child process, C code)
// bypasses this and reaches stdout as it is.

const { record, out, SCOPE_FUNCTION } = require('./log-format');

const CONSOLE_SEVERITY = Object.freeze({ debug: 'DEBUG', log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', trace: 'ERROR' });
const STREAMS = [
  { name: 'stdout', severity: 'INFO', attributes: Object.freeze({ 'log.iostream': 'stdout' }) },
  { name: 'stderr', severity: 'ERROR', attributes: Object.freeze({ 'log.iostream': 'stderr' }) },
];

/** The partial lines of one call (or of the code outside any call), per stream. */
class Held {
  constructor() {
    this.text = ['', ''];
    this.severity = ['', ''];
  }
}

let current = () => undefined;
let consoleSeverity = null; // set while a console method runs
const outside = new Held();

function toText(chunk, encoding) {
  if (typeof chunk === 'string') {
    return encoding === undefined || encoding === 'utf8' || encoding === 'utf-8' ? chunk : Buffer.from(chunk, encoding).toString('utf8');
  }
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
  const err = new TypeError('The "chunk" argument must be of type string or an instance of Buffer or Uint8Array');
  err.code = 'ERR_INVALID_ARG_TYPE';
  throw err;
}

/** Records for each complete line `text` brings to stream `index` of `holder`; holds the rest. */
function lines(index, text, call, holder, severity) {
  const stream = STREAMS[index];
  let pending = holder.text[index];
  let pendingSeverity = pending === '' ? severity : holder.severity[index];
  let records = '';
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    let line = pending + text.slice(start, nl);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    records += record(pendingSeverity, line, SCOPE_FUNCTION, call, stream.attributes);
    pending = '';
    pendingSeverity = severity;
    start = nl + 1;
  }
  let rest = pending + text.slice(start);
  if (rest !== '' && call !== null && call.done) {
    records += record(pendingSeverity, rest, SCOPE_FUNCTION, call, stream.attributes);
    rest = '';
  }
  holder.text[index] = rest;
  holder.severity[index] = pendingSeverity;
  return records;
}

/** What the function wrote to stream `index` (0 stdout, 1 stderr). */
function capture(index, chunk, encoding) {
  const text = toText(chunk, encoding);
  if (text.length === 0) return;
  const call = current() ?? null;
  let holder = outside;
  if (call !== null) {
    if (call.output === null) call.output = new Held();
    holder = call.output;
  }
  const records = lines(index, text, call, holder, consoleSeverity ?? STREAMS[index].severity);
  if (records !== '') out(records);
}

/** Writes what `holder` still holds as records. */
function flush(holder, call) {
  let records = '';
  for (let index = 0; index < 2; index += 1) {
    const text = holder.text[index];
    if (text === '') continue;
    holder.text[index] = '';
    records += record(holder.severity[index], text.endsWith('\r') ? text.slice(0, -1) : text, SCOPE_FUNCTION, call, STREAMS[index].attributes);
  }
  if (records !== '') out(records);
}

/** The call ended: its partial lines are written (the caller checked `call.output !== null`). */
function endCall(call) {
  flush(call.output, call);
}

function replaceWrite(stream, index) {
  // eslint-disable-next-line no-param-reassign
  stream.write = function write(chunk, encoding, callback) {
    const done = typeof encoding === 'function' ? encoding : callback;
    capture(index, chunk, typeof encoding === 'string' ? encoding : undefined);
    if (typeof done === 'function') process.nextTick(done, null);
    return true;
  };
}

/**
 * Captures this process's stdout, stderr and console from now on. `currentCall()` is the call
 * whose code runs (with `eventId`, `trace`, `done` and an `output` field that starts null), or
 * undefined outside any call.
 */
function installCapture(currentCall) {
  current = currentCall;
  replaceWrite(process.stdout, 0);
  replaceWrite(process.stderr, 1);
  for (const name of Object.keys(CONSOLE_SEVERITY)) {
    const original = console[name];
    if (typeof original !== 'function') continue;
    const severity = CONSOLE_SEVERITY[name];
    console[name] = function consoleMethod(...args) {
      const before = consoleSeverity;
      consoleSeverity = severity;
      try {
        return original.apply(this, args);
      } finally {
        consoleSeverity = before;
      }
    };
  }
  process.on('exit', () => flush(outside, null));
}

module.exports = { installCapture, endCall };
