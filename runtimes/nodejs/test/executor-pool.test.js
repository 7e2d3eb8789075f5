'use strict';
// The executor pool and the executor process (call mode), driven directly, without HTTP: what a
// call's messages become, crashes, deadlines, growth and shrinking, start-up failures.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { ExecutorPool } = require('../lib/executor-pool');
const { decodeChunk } = require('../lib/executor-protocol');
const clock = require('../lib/clock');
const { FUNCTIONS, sleep } = require('./support');

function settingsFor(file, functionName = 'main') {
  return {
    file: path.join(FUNCTIONS, file),
    shownAs: file,
    handlerName: `${path.basename(file, '.js')}.${functionName}`,
    functionName,
    timeout: 5,
    runtime: 'nodejs-test',
    memoryLimit: null,
  };
}

function makePool(options = {}) {
  const fatal = [];
  const pool = new ExecutorPool({
    settings: settingsFor(options.file ?? 'executor.js'),
    min: options.min ?? 1,
    max: options.max ?? 4,
    idleMs: options.idleMs ?? 30_000,
    onFatal: (line) => fatal.push(line),
  });
  pool.fatal = fatal;
  return pool;
}

/**
 * Runs one call; resolves with what the executor sent: `{kind, head, body, type, writes, text}`.
 * `headers` select the test function's case.
 */
function call(pool, headers, { body = '', streamed = null, deadlineMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const writes = [];
    const spec = {
      e: ['evt-1', 'text/plain', '2026-11-26T17:40:00.000Z', 'http'],
      m: 'POST',
      u: '/path?q=1',
      v: '1.1',
      h: { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)), ...headers },
      a: ['127.0.0.1', 5000, 'IPv4', '127.0.0.1', 8080],
      k: streamed === null ? 'b' : 's',
      b: Buffer.from(body).toString('latin1'),
      d: Date.now() / 1000 + deadlineMs / 1000,
      t: ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', null, '01', null],
      ms: 0,
    };
    let handle = null;
    const sink = {
      started(h) {
        if (streamed === null) return;
        for (const chunk of streamed) h.body(Buffer.from(chunk));
        h.bodyEnd();
      },
      result: (head, payload, encoding, type) => resolve({ kind: 'result', head, body: decodeChunk(payload, encoding), type, writes }),
      write: (head, payload, encoding, wantAck) => {
        writes.push({ head, chunk: decodeChunk(payload, encoding).toString(), wantAck });
        if (wantAck) setTimeout(() => handle.ack(), 5); // a client's socket draining
      },
      end: (head, payload, encoding) => resolve({ kind: 'end', head, body: decodeChunk(payload, encoding).toString(), writes }),
      error: (text) => resolve({ kind: 'error', text, writes }),
      died: (how) => resolve({ kind: 'died', text: how, writes }),
    };
    handle = pool.run(spec, sink, clock.now() + deadlineMs);
    if (headers.abortAfter) setTimeout(() => { handle.abort('timeout'); resolve({ kind: 'aborted' }); }, Number(headers.abortAfter));
  });
}

test('values, heads and errors come back as the contract maps them', async () => {
  const pool = makePool();
  await pool.start();
  try {
    let out = await call(pool, { 'x-case': 'text' });
    assert.deepEqual([out.kind, out.body, out.type], ['result', 'hello', 'text/plain; charset=utf-8']);
    assert.deepEqual(out.head, [200, null, []]);

    out = await call(pool, { 'x-case': 'json', 'content-type': 'application/json' }, { body: '{"a":[1,"é"]}' });
    assert.equal(out.type, 'application/json');
    assert.deepEqual(JSON.parse(out.body), { data: { a: [1, 'é'] }, id: 'evt-1', query: { q: '1' }, path: '/path', ct: 'json' });

    out = await call(pool, { 'x-case': 'bytes' });
    assert.deepEqual([out.type, [...out.body]], ['application/octet-stream', [0, 255, 1]]);

    out = await call(pool, { 'x-case': 'nothing' });
    assert.equal(out.type, null);

    out = await call(pool, { 'x-case': 'status' });
    assert.deepEqual(out.head, [201, null, ['X-Test', 'yes']]);

    out = await call(pool, { 'x-case': 'send' });
    assert.equal(out.kind, 'end');
    assert.equal(out.body, '<p>hi</p>');
    assert.deepEqual(out.head, [202, null, ['Content-Type', 'text/html; charset=utf-8', 'Content-Length', '9']]); // as Express's res.send

    out = await call(pool, { 'x-case': 'stream-writes' });
    assert.equal(out.kind, 'end');
    assert.deepEqual(out.writes.map((w) => w.chunk), ['a', 'b']);
    assert.deepEqual(out.writes[0].head, [200, null, ['Content-Type', 'text/plain; charset=utf-8']]);
    assert.equal(out.writes[1].head, null);
    assert.equal(out.body, 'c');

    out = await call(pool, { 'x-case': 'readable' });
    assert.equal(out.kind, 'end');
    assert.equal(out.writes.map((w) => w.chunk).join('') + out.body, 'xyz');

    out = await call(pool, { 'x-case': 'big' });
    assert.equal(out.kind, 'end');
    assert.equal(out.writes.reduce((n, w) => n + w.chunk.length, 0), 1024 * 1024);
    assert.equal(out.writes.filter((w) => w.wantAck).length, 4, 'an acknowledgement asked every 256 KiB');

    out = await call(pool, { 'x-case': 'throw' });
    assert.equal(out.kind, 'error');
    assert.match(out.text, /^Error: boom\n\s+at /);

    out = await call(pool, { 'x-case': 'symbol' });
    assert.deepEqual([out.kind, out.text], ['error', "the function's result cannot be sent: a symbol is not JSON"]);

    out = await call(pool, { 'x-case': 'upload', 'content-type': 'multipart/form-data; boundary=x' }, { streamed: ['ab', 'cd', 'e'] });
    assert.deepEqual(JSON.parse(out.body), { size: 5, data: true });
  } finally {
    await pool.close();
  }
});

test('a crash answers its call and the executor is replaced; globals persist within an executor', async () => {
  const pool = makePool();
  await pool.start();
  try {
    const first = JSON.parse((await call(pool, { 'x-case': 'count' })).body);
    const second = JSON.parse((await call(pool, { 'x-case': 'count' })).body);
    assert.equal(second.pid, first.pid);
    assert.equal(second.calls, first.calls + 1);

    for (const [kase, how] of [['exit', 'exited with code 3'], ['abort', 'killed by signal SIGABRT'], ['timer-throw', 'exited with code 1']]) {
      const out = await call(pool, { 'x-case': kase });
      assert.deepEqual([out.kind, out.text], ['died', how], kase);
      const after = JSON.parse((await call(pool, { 'x-case': 'count' })).body);
      assert.notEqual(after.pid, first.pid);
      assert.equal(after.calls, 1, 'a fresh executor');
    }
    assert.deepEqual(pool.fatal, []);
  } finally {
    await pool.close();
  }
});

test('a call past its deadline: its executor is killed, not reported dead, and replaced', async () => {
  const pool = makePool();
  await pool.start();
  try {
    const [victim] = pool.pids();
    const out = await call(pool, { 'x-case': 'spin', abortAfter: '200' });
    assert.equal(out.kind, 'aborted');
    // A call was served: while the killed executor is replaced, calls can still be taken (/readyz).
    assert.equal(pool.canRun(), true);
    const started = Date.now();
    const next = await call(pool, { 'x-case': 'text' });
    assert.equal(next.body, 'hello');
    assert.ok(Date.now() - started < 3000);
    // The replacement may answer before the kill grace ends: the victim goes within it, not before.
    while (pool.pids().includes(victim) && Date.now() - started < 3000) await sleep(20);
    assert.ok(!pool.pids().includes(victim), 'the looping executor is gone');
  } finally {
    await pool.close();
  }
});

test('the pool grows on demand up to max, queues the rest, and shrinks when idle', async () => {
  const pool = makePool({ min: 1, max: 2, idleMs: 600 });
  await pool.start();
  try {
    const started = Date.now();
    const outs = await Promise.all([1, 2, 3].map(() => call(pool, { 'x-case': 'sleep', 'x-ms': '400' })));
    const elapsed = Date.now() - started;
    const pids = new Set(outs.map((o) => o.body.split(' ')[1]));
    assert.equal(pids.size, 2, 'two executors at most');
    assert.ok(elapsed >= 790, `three calls of 0.4 s on two executors took ${elapsed} ms`);
    assert.equal(pool.counts().idle, 2);
    await sleep(1200);
    assert.equal(pool.counts().idle, 1, 'back to FUNC_EXECUTORS_MIN');
  } finally {
    await pool.close();
  }
});

test('a module that cannot load: start() rejects with exit code 1', async () => {
  const pool = makePool({ file: 'no-such-file.js' });
  await assert.rejects(pool.start(), (err) => err.code === 1);
});

test('executors that die before the first call: back-off, then fatal after 5', async () => {
  const pool = makePool({ file: 'executor-exits.js' });
  await pool.start();
  assert.equal(pool.canRun(), true, 'ready once started');
  const started = Date.now();
  let backingOff = false;
  while (pool.fatal.length === 0 && Date.now() - started < 10_000) {
    if (!pool.canRun()) backingOff = true;
    await sleep(20);
  }
  assert.ok(backingOff, 'not ready (/readyz: starting) while no executor can run a call');
  assert.equal(pool.canRun(), false, 'nor after giving up');
  assert.equal(pool.fatal.length, 1);
  assert.match(pool.fatal[0], /died 5 times in a row before the first call was served \(last: exited with code 4\)/);
  // 5 deaths 100 ms after each start, with 100+200+400+800 ms of back-off between them.
  assert.ok(Date.now() - started >= 1500, `gave up after ${Date.now() - started} ms`);
  await pool.close();
});
