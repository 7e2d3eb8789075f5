'use strict';
// Express helpers on the request/response and result conversion (CONTRACT §3, §5).

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { startRuntime } = require('./support');

let rt;
const servers = {}; // one runtime per handler, started on first use
after(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
});

async function serve(fn, options) {
  if (!servers[fn]) servers[fn] = await startRuntime('helpers.js', `helpers.${fn}`, options);
  return servers[fn];
}

test('req.is, req.get, req.query and req.path work as in Express', async () => {
  rt = await serve('is');
  const res = await fetch(`${rt.url}/some/path?a=1&a=2&b=x`, {
    method: 'POST', headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Thing': 'yes' }, body: '{}',
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { json: 'json', text: false, header: 'yes', query: { a: ['1', '2'], b: 'x' }, path: '/some/path' });
});

test('res.status().set().send(string) answers as Express does', async () => {
  rt = await serve('sendString');
  const res = await fetch(rt.url);
  assert.equal(res.status, 202);
  assert.equal(res.headers.get('x-one'), '1');
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.headers.get('content-length'), '9');
  assert.equal(await res.text(), '<p>hi</p>');
});

test('res.set(object).type(json).json(value)', async () => {
  rt = await serve('sendObject');
  const res = await fetch(rt.url);
  assert.equal(res.headers.get('x-two'), '2');
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.deepEqual(await res.json(), { ok: true });
});

test('res.sendStatus', async () => {
  rt = await serve('sendStatus');
  const res = await fetch(rt.url);
  assert.equal(res.status, 404);
  assert.equal(await res.text(), 'Not Found');
});

test('a content type set by the function wins over the default of its return value', async () => {
  rt = await serve('customType');
  const res = await fetch(rt.url);
  assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.equal(await res.text(), 'a,b\n');
});

test('a returned readable stream is piped, chunked', async () => {
  rt = await serve('stream');
  const res = await fetch(rt.url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(await res.text(), 'one two three');
});

test('null is answered as the JSON value null', async () => {
  rt = await serve('nullValue');
  const res = await fetch(rt.url);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal(await res.text(), 'null');
});

test('req.body and req.rawBody hold the raw body as a Buffer', async () => {
  rt = await serve('rawBody');
  const res = await fetch(rt.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"x": 1}' });
  assert.deepEqual(await res.json(), { isBuffer: true, length: 8, same: true });
});
