'use strict';
// FUNC_SIGNATURE=gcf and fission (lib/signatures/gcf.js, fission.js, bodies.js): the body parser
// stacks as body-parser leaves req.body, and how a gcf function is found (shim, order).

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { makeRequest } = require('../lib/executor-request');
const { parserStack, BodyError, parseExtendedForm } = require('../lib/signatures/bodies');
const gcf = require('../lib/signatures/gcf');
const fission = require('../lib/signatures/fission');
const { nodePath } = require('../lib/loader');
const { modulePaths, SHIMS } = require('../lib/signatures');
const { startRuntime } = require('./support');

function request(headers, body) {
  return makeRequest({
    m: 'POST', u: '/', v: '1.1', h: headers, a: ['127.0.0.1', 1, 'IPv4', '127.0.0.1', 2], k: 'b',
    b: Buffer.from(body).toString('latin1'),
  });
}

function parsed(parse, type, body, extra = {}) {
  const headers = { 'content-length': String(Buffer.byteLength(body)), ...extra };
  if (type !== undefined) headers['content-type'] = type;
  return parse(request(headers, body));
}

test('gcf: the Functions Framework stack (JSON, cloudevents+JSON, text/plain, qs forms, raw */*)', () => {
  const parse = gcf.parseBody;
  assert.deepEqual(parsed(parse, 'application/json', '{"a":[1]}'), { parsed: true, body: { a: [1] } });
  assert.deepEqual(parsed(parse, 'application/cloudevents+json', '{"id":"1"}'), { parsed: true, body: { id: '1' } });
  assert.deepEqual(parsed(parse, 'application/json', ''), { parsed: true, body: {} });
  assert.deepEqual(parsed(parse, 'text/plain; charset=utf-8', 'héllo'), { parsed: true, body: 'héllo' });
  assert.deepEqual(parsed(parse, 'application/x-www-form-urlencoded', 'a[b]=1&c[]=2'), { parsed: true, body: { a: { b: '1' }, c: ['2'] } });
  const csv = parsed(parse, 'text/csv', 'a,b');
  assert.ok(Buffer.isBuffer(csv.body) && csv.body.toString() === 'a,b');
  assert.deepEqual(parsed(parse, undefined, 'x'), { parsed: false, body: undefined });
  assert.deepEqual(parse(request({ 'content-type': 'application/json' }, '')), { parsed: false, body: undefined }); // no body
});

test('fission: the environment stack (simple forms, JSON, raw octet-stream only, text/*)', () => {
  const parse = fission.parseBody;
  assert.deepEqual(parsed(parse, 'application/x-www-form-urlencoded', 'a[b]=1&a[b]=2'), { parsed: true, body: { 'a[b]': ['1', '2'] } });
  assert.deepEqual(parsed(parse, 'text/csv', 'a,b'), { parsed: true, body: 'a,b' });
  assert.ok(Buffer.isBuffer(parsed(parse, 'application/octet-stream', 'x').body));
  assert.deepEqual(parsed(parse, 'image/png', 'x'), { parsed: false, body: undefined });
});

test('bodies a parser refuses: strict JSON, bad JSON, charsets, content encodings', () => {
  const refused = (type, body, extra) => {
    try {
      parsed(gcf.parseBody, type, body, extra);
    } catch (err) {
      assert.ok(err instanceof BodyError);
      return [err.status, err.message];
    }
    return null;
  };
  assert.equal(refused('application/json', '"text"')[0], 400);
  assert.equal(refused('application/json', '{x')[0], 400);
  assert.deepEqual(refused('application/json; charset=latin1', '{}'), [415, 'Unsupported Media Type: unsupported charset "LATIN1"']);
  assert.equal(refused('text/plain; charset=klingon', 'x')[0], 415);
  assert.equal(refused('application/json', '{}', { 'content-encoding': 'gzip' })[0], 415);
  assert.equal(refused('text/plain; charset=latin1', 'x'), null);
});

test('qs-style forms: nesting, arrays, compaction, repeated keys, no __proto__', () => {
  const form = (text) => parseExtendedForm(Buffer.from(text));
  assert.deepEqual(form('a[b][c]=1&a[x]=2'), { a: { b: { c: '1' }, x: '2' } });
  assert.deepEqual(form('z[2]=q&z[0]=p'), { z: ['p', 'q'] });
  assert.deepEqual(form('e=1&e=2&n+m=h%20i'), { e: ['1', '2'], 'n m': 'h i' });
  assert.deepEqual(form('o[1][k]=v'), { o: [{ k: 'v' }] });
  assert.deepEqual(form('__proto__[x]=1&ok=1'), { ok: '1' });
  assert.equal(Object.prototype.x, undefined);
});

test('NODE_PATH: the gcf shims come last, after the install volume and what NODE_PATH held', () => {
  const value = nodePath('/deps', '/already', modulePaths('gcf'));
  assert.deepEqual(value.split(path.delimiter), ['/deps/node_modules', '/already', SHIMS]);
  assert.deepEqual(modulePaths('fission'), []);
  assert.deepEqual(modulePaths('kubeless'), []);
});

const servers = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

test('gcf: the registration named FUNC_HANDLER wins over the export; an export alone is found', async () => {
  const registered = await startRuntime('gcf_both.js', 'gcf_both.hello', { env: { FUNC_SIGNATURE: 'gcf' } });
  servers.push(registered);
  assert.equal(await (await fetch(registered.url)).text(), 'registered');
  const exported = await startRuntime('gcf_both.js', 'gcf_both.onlyExported', { env: { FUNC_SIGNATURE: 'gcf' } });
  servers.push(exported);
  assert.equal(await (await fetch(exported.url)).text(), 'only exported');
});
