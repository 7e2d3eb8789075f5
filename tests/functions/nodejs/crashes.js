'use strict';
// Calls that take their process down in every way a function can (`x-case` header).
// In `call` isolation only the call itself may fail (CONTRACT §5): the others in flight complete.

let calls = 0;

function blockFor(seconds) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
}

function dispatch(event, context) {
  calls += 1;
  const req = event.extensions.request;
  const kase = req.headers['x-case'] || 'ok';
  switch (kase) {
    case 'segfault': process.kill(process.pid, 'SIGSEGV'); blockFor(5); break;
    case 'abort': process.abort(); break;
    case 'exit': process.exit(1); break;
    case 'sys_exit': process.exit(3); break;
    case 'memory': throw new RangeError('out of memory (simulated)');
    case 'sleep': {  // awaited, so that calls sleep side by side on one event loop (worker isolation)
      const ms = Number(req.headers['x-seconds'] || '1') * 1000;
      return new Promise((resolve) => setTimeout(() => resolve('slept'), ms));
    }
    case 'c_block':
      console.log(`BLOCKING ${req.headers['x-token'] || ''} ${process.pid}`);
      blockFor(60);
      break;
    case 'gil': for (;;) { /* spin */ }
    case 'unsendable': return { big: 1n };  // BigInt: JSON.stringify throws
    case 'count': return { calls, pid: process.pid };
    case 'print': {
      const token = req.headers['x-token'] || '';
      console.log(`STDOUT ${token}`);
      console.error(`LOG ${token}`);
      return 'printed';
    }
    default: return 'ok';
  }
  return 'ok';
}

module.exports = { dispatch };
