'use strict';
// The layout of the memory the main thread and the watchdog thread share (watchdog.js writes,
// watchdog-thread.js reads). Times are clock.now() milliseconds (monotonic, same in both threads).

const BYTES = 32;
// Int32 slots
const SEQ = 0; // sequence number of the call whose synchronous part runs now; 0 none, -1 claimed
const FD = 1; // its socket's file descriptor, or -1 when a 408 may not be written on it
// Float64 slots (byte offset 8 onwards)
const DEADLINE = 1; // that call's deadline
const BEAT = 2; // the event loop's last heartbeat
const EARLIEST = 3; // earliest deadline of the calls waiting at that heartbeat (Infinity: none)

/** The typed views over `buffer`. */
function views(buffer) {
  return { ints: new Int32Array(buffer, 0, 2), floats: new Float64Array(buffer, 0, BYTES / 8) };
}

module.exports = { BYTES, SEQ, FD, DEADLINE, BEAT, EARLIEST, views };
