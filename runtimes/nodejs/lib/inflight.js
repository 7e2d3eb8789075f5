'use strict';
// Requests waiting for the function, in deadline order. Every call gets the same timeout, so
// arrival order is deadline order: a linked list with one timer for its head replaces a timer
// per call, and its head is the earliest deadline the watchdog needs.

const clock = require('./clock');

/** One request to the function, from its arrival to its answer. */
class Call {
  constructor(req, res, arrivalWall, deadline, deadlineWall) {
    this.req = req;
    this.res = res;
    this.arrivalWall = arrivalWall; // Unix ms (event-time, access log)
    this.deadline = deadline; // clock.now() ms
    this.deadlineWall = deadlineWall; // Unix ms (context.deadline)
    this.started = 0; // clock.now() when the function was called, 0 before
    this.done = false;
    this.eventId = '';
    this.trace = null; // its trace-context.Trace, from the function's start
    this.output = null; // JSON log format: its partial output lines (capture.js)
    this.metrics = null;
    this.abort = null; // the AbortController, made when the function reads context.signal
    this.slot = -1; // its entry in the watchdog's table of calls in flight
    // InFlight links
    this.prev = null;
    this.next = null;
    this.listed = false;
  }
}

class InFlight {
  /** `onExpire(entry)` is called for each entry at its deadline, after its removal. */
  constructor(onExpire) {
    this.onExpire = onExpire;
    this.head = null;
    this.tail = null;
    this.size = 0;
    this.timer = null;
    this.expireDue = this.expireDue.bind(this);
  }

  /** Appends an entry: an object whose `deadline` (clock.now() ms) is the latest so far. */
  add(entry) {
    entry.prev = this.tail;
    entry.next = null;
    entry.listed = true;
    if (this.tail === null) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
    this.size += 1;
    if (this.timer === null) this.arm(entry.deadline);
  }

  remove(entry) {
    if (!entry.listed) return;
    entry.listed = false;
    if (entry.prev === null) this.head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === null) this.tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = null;
    entry.next = null;
    this.size -= 1;
  }

  arm(deadline) {
    this.timer = setTimeout(this.expireDue, Math.max(0, Math.ceil(deadline - clock.now())));
    this.timer.unref();
  }

  expireDue() {
    this.timer = null;
    const now = clock.now();
    while (this.head !== null && this.head.deadline <= now + 1) {
      const entry = this.head;
      this.remove(entry);
      this.onExpire(entry);
    }
    if (this.head !== null && this.timer === null) this.arm(this.head.deadline);
  }

  /** Every entry, oldest first (for the end of a drain). */
  * entries() {
    for (let entry = this.head; entry !== null; entry = entry.next) yield entry;
  }
}

module.exports = { Call, InFlight };
