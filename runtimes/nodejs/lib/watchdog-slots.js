'use strict';
// The layout of the memory the main thread and the watchdog thread share (watchdog.js writes,
// watchdog-thread.js reads). Times are clock.now() milliseconds (monotonic, same in both threads).
//
// bytes 0–15   Int32   SEQ, FD, CHANGES, SLOT
// bytes 16–39  Float64 DEADLINE, BEAT, LATEST
// bytes 64–    the table of calls in flight: SLOTS entries of SLOT_BYTES, each an Int32 version
//              (odd while being written), an Int32 length and up to TEXT_BYTES of UTF-8 text: the
//              call's method, event id, client address, HTTP version, trace ids (JSON log format:
//              `TRACEID SPANID FLAGS`, else empty), URL and User-Agent, one per line (the last ones
//              cut when too long), so that the calls a dying worker takes with it can be named
//              (supervisor.js) and the watchdog's 408 access-logged.

// Int32 slots
const SEQ = 0; // sequence number of the call whose synchronous part runs now; 0 none, -1 claimed
const FD = 1; // its socket's file descriptor, or -1 when a 408 may not be written on it
const CHANGES = 2; // bumped at every change of the table
const SLOT = 3; // the table entry of the call whose synchronous part runs now, -1 none
// Float64 slots
const DEADLINE = 2; // that call's deadline
const BEAT = 3; // the event loop's last heartbeat
const LATEST = 4; // latest deadline of the calls called since that heartbeat or in flight then (-Infinity: none)

const TABLE = 64;
const SLOT_BYTES = 256;
const TEXT_BYTES = SLOT_BYTES - 8;
const SLOTS = 1024;
const BYTES = TABLE + SLOTS * SLOT_BYTES;

/** The typed views over `buffer`. */
function views(buffer) {
  return {
    ints: new Int32Array(buffer, 0, TABLE / 4),
    floats: new Float64Array(buffer, 0, TABLE / 8),
    table: new Int32Array(buffer, TABLE),
    bytes: Buffer.from(buffer),
  };
}

/** Writes `text` into entry `slot` (the main thread only). */
function writeEntry({ ints, table, bytes }, slot, text) {
  const at = slot * (SLOT_BYTES / 4);
  Atomics.add(table, at, 1); // odd: being written
  const length = bytes.write(text, TABLE + slot * SLOT_BYTES + 8, TEXT_BYTES, 'utf8');
  table[at + 1] = length;
  Atomics.add(table, at, 1);
  Atomics.add(ints, CHANGES, 1);
}

function clearEntry({ ints, table }, slot) {
  const at = slot * (SLOT_BYTES / 4);
  Atomics.add(table, at, 1);
  table[at + 1] = 0;
  Atomics.add(table, at, 1);
  Atomics.add(ints, CHANGES, 1);
}

/** Entry `slot`'s text, or null when it is empty or changed while read. */
function readEntry({ table, bytes }, slot) {
  const at = slot * (SLOT_BYTES / 4);
  const before = Atomics.load(table, at);
  if (before % 2 !== 0) return null;
  const length = table[at + 1];
  if (length === 0) return null;
  const start = TABLE + slot * SLOT_BYTES + 8;
  const text = bytes.toString('utf8', start, start + length);
  return Atomics.load(table, at) === before ? text : null;
}

/** A trace-context.Trace as an entry's trace field. */
function traceText(trace) {
  return `${trace.traceId} ${trace.spanId} ${trace.flags}`;
}

/**
 * The fields of an entry's text: `{method, eventId, remote, httpVersion, trace, url, agent}`;
 * `trace` is `{traceId, spanId, flags}` or null.
 */
function parseEntry(text) {
  const [method, eventId, remote, httpVersion, traceField, url, agent] = text.split('\n');
  const ids = traceField ? traceField.split(' ') : null;
  const trace = ids !== null && ids.length === 3 ? { traceId: ids[0], spanId: ids[1], flags: ids[2] } : null;
  return { method, eventId, remote, httpVersion, trace, url, agent };
}

/** Every entry's text: the calls in flight. */
function readTable(v) {
  const out = [];
  for (let slot = 0; slot < SLOTS; slot += 1) {
    const text = readEntry(v, slot);
    if (text !== null) out.push(text);
  }
  return out;
}

module.exports = {
  BYTES, SLOTS, SEQ, FD, CHANGES, SLOT, DEADLINE, BEAT, LATEST, views, writeEntry, clearEntry, readEntry, readTable, parseEntry, traceText,
};
