'use strict';
// What the function does wrong: late writes, runaway loops after an await, uncaught errors.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startRuntime, sleep } = require('./support');

test('writes after the 408 are dropped and the runtime keeps serving', async () => {
  const rt = await startRuntime('helpers.js', 'helpers.lateWrite', { env: { FUNC_TIMEOUT: '0.5' } });
  try {
    const res = await fetch(rt.url);
    assert.equal(res.status, 408);
    assert.equal(await res.text(), 'Timeout while processing the function');
    await sleep(600); // the function's late writes happen now
    const health = await fetch(`${rt.url}/healthz`);
    assert.equal(await health.text(), 'OK');
    assert.doesNotMatch(rt.stderr(), /uncaught|ERR_/);
    const metrics = await (await fetch(`${rt.url}/metrics`)).text();
    assert.match(metrics, /function_timeouts_total\{method="GET"\} 1/);
    assert.match(metrics, /function_failures_total\{method="GET"\} 1/);
  } finally {
    assert.equal(await rt.stop(), 0);
  }
});

test('a loop after an await blocks the event loop: the worker is replaced', async () => {
  const rt = await startRuntime('helpers.js', 'helpers.loopAfterAwait', { env: { FUNC_TIMEOUT: '0.5' } });
  try {
    const started = Date.now();
    // No 408 can be written from a blocked event loop: the connection is dropped instead.
    await assert.rejects(fetch(rt.url));
    let answered = false;
    while (!answered && Date.now() - started < 5000) {
      answered = await fetch(`${rt.url}/healthz`, { signal: AbortSignal.timeout(300) }).then((r) => r.ok, () => false);
    }
    assert.ok(answered, 'the runtime answers again');
    assert.ok(Date.now() - started < 4000, `answered again after ${Date.now() - started} ms`);
    assert.match(rt.stderr(), /event loop has been blocked/);
  } finally {
    assert.equal(await rt.stop(), 0);
  }
});

test("errors thrown in a call's callbacks after its answer are logged with its event id, and the runtime keeps serving", async () => {
  for (const fn of ['throwInTimer', 'rejectUnhandled']) {
    const rt = await startRuntime('helpers.js', `helpers.${fn}`);
    try {
      assert.equal(await (await fetch(rt.url)).text(), 'ok');
      await sleep(50);
      assert.equal(await (await fetch(rt.url)).text(), 'ok');
      assert.match(rt.stderr(), /error: event-id=[0-9a-f-]{36}: Error: (thrown in a timer|nobody waits for me)/);
    } finally {
      assert.equal(await rt.stop(), 0);
    }
  }
});
