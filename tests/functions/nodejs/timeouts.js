'use strict';
// Functions that overrun FUNC_TIMEOUT (`x-case` header).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function sync_dispatch(event, context) {
  const req = event.extensions.request;
  const kase = req.headers['x-case'] || 'ok';
  if (kase === 'spin') {
    // A synchronous runaway loop: it blocks the event loop until the runtime interrupts it.
    for (;;) { /* spin */ }
  }
  return 'ok';
}

async function async_dispatch(event, context) {
  const req = event.extensions.request;
  const kase = req.headers['x-case'] || 'ok';
  if (kase === 'sleep') {
    await sleep(1000 * Number(req.headers['x-seconds'] || '3'));
    return 'slept';
  }
  if (kase === 'abort_wait') {
    // Waits for context.signal and reports when it fired, relative to the deadline.
    const token = req.headers['x-token'] || '';
    await new Promise((resolve) => {
      if (context.signal.aborted) resolve();
      else context.signal.addEventListener('abort', resolve, { once: true });
    });
    const late = Date.now() / 1000 - context.deadline;
    console.log(`ABORTED ${token} ${late.toFixed(3)}`);
    return 'aborted';
  }
  return 'ok';
}

module.exports = { sync_dispatch, async_dispatch };
