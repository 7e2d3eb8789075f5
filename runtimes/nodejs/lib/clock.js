'use strict';
// One monotonic clock for every deadline and heartbeat, in milliseconds: CLOCK_MONOTONIC (what
// process.hrtime reads), so a wall-clock step neither fires nor disables a deadline. Read through
// performance.now() (cheap, monotonic) plus an offset taken once per thread, so the main thread
// and the watchdog thread read the same clock (their performance.now() origins differ).

const OFFSET = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** Milliseconds on the shared monotonic clock. */
function now() {
  return performance.now() + OFFSET;
}

module.exports = { now };
