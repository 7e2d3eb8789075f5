'use strict';
// FUNC_SIGNATURE=knative (lib/signatures/knative.js, knative-lifecycle.js): faas-js's mapping and
// the hooks, without a server. The black-box cases are tests/conformance/test_signature_knative.py.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { makeRequest } = require('../lib/executor-request');
const knative = require('../lib/signatures/knative');
const lifecycle = require('../lib/signatures/knative-lifecycle');
const { loadFunction } = require('../lib/signatures');

function request(method, url, headers = {}, body = '') {
  const raw = Object.entries(headers).flat();
  return makeRequest({
    m: method, u: url, v: '1.1', h: headers, r: raw, a: ['10.0.0.7', 5555, 'IPv4', '127.0.0.1', 8080],
    k: 'b', b: Buffer.from(body).toString('latin1'),
  });
}

function call(handler, req) {
  return handler({ 'event-id': 'evt-1', extensions: { request: req, response: null } }, {});
}

function headerOf(answer, name) {
  for (let i = 0; i < answer.headers.length; i += 2) if (answer.headers[i] === name) return answer.headers[i + 1];
  return undefined;
}

test('faas-js result mapping (lib/invoker.js)', () => {
  assert.deepEqual(knative.mapResult(undefined), [204, { 'content-type': 'text/plain' }, '']);
  assert.deepEqual(knative.mapResult(0)[0], 204);
  assert.deepEqual(knative.mapResult('hi'), [200, { 'content-type': 'text/plain; charset=utf-8' }, 'hi']);
  const [status, headers, body] = knative.mapResult({ statusCode: 404, headers: { 'X-A': '1' }, body: { e: 1 } });
  assert.equal(status, 404);
  assert.deepEqual(headers, { 'content-type': 'application/json; charset=utf-8', 'x-a': '1' });
  assert.deepEqual(body, { e: 1 });
  assert.deepEqual(knative.mapResult({ a: 1 })[2], { a: 1 });
  assert.equal(knative.mapResult(42)[2], undefined);
});

test('the body as faas-js parsers leave it', () => {
  assert.equal(knative.parseBody(request('GET', '/')), undefined);
  assert.deepEqual(knative.parseBody(request('POST', '/', { 'content-type': 'application/json' }, '{"a":1}')), { a: 1 });
  assert.throws(() => knative.parseBody(request('POST', '/', { 'content-type': 'application/json' }, '{')), SyntaxError);
  assert.equal(knative.parseBody(request('POST', '/', { 'content-type': 'text/plain' }, 'hi')), 'hi');
  assert.ok(Buffer.isBuffer(knative.parseBody(request('POST', '/', { 'content-type': 'text/csv' }, 'a,b'))));
});

test('handle(context, body): the context, the answer, a malformed JSON body', async () => {
  const seen = [];
  const handler = knative.wrap(async (context, body) => {
    seen.push(context, body);
    return 'ok';
  });
  const answer = await call(handler, request('POST', '/x?a=1&method=spread', { 'content-type': 'application/json' }, '{"b":2}'));
  assert.equal(answer.status, 200);
  assert.equal(answer.body, 'ok');
  const [context, body] = seen;
  assert.deepEqual(body, { b: 2 });
  assert.equal(context.method, 'spread'); // the query spread onto the context, after its own fields
  assert.deepEqual(context.query, { a: '1', method: 'spread' });
  assert.equal(context.contentType, 'application/json');
  assert.equal(typeof context.log.info, 'function');
  const bad = await call(handler, request('POST', '/', { 'content-type': 'application/json' }, '{'));
  assert.equal(bad.status, 400);
  assert.match(bad.body, /^Bad Request: malformed JSON body: /);
});

test('a thrown HTTP status is kept, anything else rethrown for the contract 500', async () => {
  const handler = knative.wrap(async (context) => {
    const err = new Error(context.query.m);
    err.code = Number(context.query.c) || context.query.c;
    throw err;
  });
  const answer = await call(handler, request('GET', '/?m=gone&c=410'));
  assert.equal(answer.status, 410);
  assert.equal(answer.body, 'gone');
  assert.ok(answer.failure.includes('gone'));
  await assert.rejects(call(handler, request('GET', '/?m=x&c=ENOENT')), /x/);
  await assert.rejects(call(handler, request('GET', '/?m=x&c=200')), /x/);
});

test('an object module: handle and its hooks; a health hook that answers 503 is not ready', async () => {
  const file = path.join(__dirname, 'functions', 'knative_object.js');
  const handler = await loadFunction('knative', file, 'handle');
  const hooks = handler.lifecycle;
  assert.ok(hooks.init && hooks.shutdown && hooks.liveness && hooks.readiness);
  await lifecycle.start(hooks);
  const answer = await call(handler, request('POST', '/', { 'content-type': 'text/plain' }, 'hi'));
  assert.equal(answer.body, '{"started":true,"body":"hi"}');
  assert.equal(headerOf(answer, 'content-type'), 'application/json; charset=utf-8');

  const written = [];
  const res = {
    writeHead: (status, headers) => written.push(status, headers),
    end: (body) => written.push(body),
  };
  const ownProbe = (req, response, url) => {
    written.push(`own ${url}`);
    return true;
  };
  const probe = lifecycle.knativeProbe(ownProbe, hooks, () => {});
  assert.equal(probe(request('GET', '/health/liveness'), res, '/health/liveness'), true);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(written, ['own /healthz']);
  written.length = 0;
  probe(request('GET', '/readyz'), res, '/readyz');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(written[0], 503);
  assert.equal(written[2], 'Not Ready: not yet');
  written.length = 0;
  assert.equal(probe(request('GET', '/metrics'), res, '/metrics'), true);
  assert.deepEqual(written, ['own /metrics']);
});

test('a module that is a function has no hooks', async () => {
  const file = path.join(__dirname, '..', '..', '..', 'tests', 'functions', 'nodejs', 'sig_knative_readme.js');
  const handler = await loadFunction('knative', file, 'anything');
  assert.equal(handler.lifecycle, null);
  const answer = await call(handler, request('GET', '/'));
  assert.equal(answer.body, '{"statusCode":200,"statusMessage":"OK"}');
});
