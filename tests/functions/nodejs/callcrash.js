'use strict';
// Call isolation (CONTRACT §5): calls that end their executor, chosen by the `x-case` header.
// The Python twin is tests/functions/python/callcrash.py.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let calls = 0; // module state: lives as long as its executor

async function dispatch(event) {
  calls += 1;
  const req = event.extensions.request;
  switch (req.headers['x-case'] || 'ok') {
    case 'exit': process.exit(1); break;
    case 'abort': process.abort(); break;
    case 'timer':
      // The process dies from a callback of the call's own, while the call awaits.
      setTimeout(() => { throw new Error('thrown in a timer'); }, 20);
      await sleep(5000);
      return 'not reached';
    case 'spin': for (;;) { /* a synchronous runaway loop */ }
    case 'sleep': await sleep(1000 * Number(req.headers['x-seconds'] || '1')); return 'slept';
    case 'pid': return { pid: process.pid, calls };
    default: return 'ok';
  }
  return 'not reached';
}

module.exports = { dispatch };
