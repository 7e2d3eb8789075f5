'use strict';
// The signature adapters' mappings (lib/signatures; shared decisions 11): request → the
// function's arguments, result → the answer. Requests are built as the runtime hands them over
// (a Request with rawHeaders and the body read whole into req.body).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { makeRequest } = require('../lib/executor-request');
const { Answer } = require('../lib/responses');
const { loadSettings, UsageError } = require('../lib/settings');
const lambda = require('../lib/signatures/lambda');
const openwhisk = require('../lib/signatures/openwhisk');
const openfaas = require('../lib/signatures/openfaas');
const { loadFunction } = require('../lib/signatures');

const PNG = Buffer.from('89504e470d0a1a0a0000000d494844520001ff', 'hex');

/** A request as the runtime hands it to a signature: raw headers as sent, the body read. */
function request(method, url, rawHeaders, body = '') {
  const headers = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    headers[name] = name in headers ? `${headers[name]}, ${rawHeaders[i + 1]}` : rawHeaders[i + 1];
  }
  return makeRequest({
    m: method, u: url, v: '1.1', h: headers, r: rawHeaders, a: ['10.0.0.7', 5555, 'IPv4', '127.0.0.1', 8080],
    k: 'b', b: Buffer.from(body).toString('latin1'),
  });
}

function kubelessArgs(req, eventId = 'evt-1', extra = {}) {
  const event = { data: undefined, 'event-id': eventId, extensions: { request: req, response: null } };
  const context = { 'function-name': 'fn', 'memory-limit': null, deadline: Date.now() / 1000 + 5, ...extra };
  return [event, context];
}

function headerOf(answer, name) {
  const h = answer.headers ?? [];
  for (let i = 0; i < h.length; i += 2) if (String(h[i]).toLowerCase() === name) return h[i + 1];
  return undefined;
}

// ---- settings ------------------------------------------------------------------------------

test('FUNC_SIGNATURE / --signature: the accepted names, kubeless by default, others refused', () => {
  const base = ['--from-file', 'x.js', '--handler', 'x.f'];
  assert.equal(loadSettings(base, {}).signature, 'kubeless');
  assert.equal(loadSettings(base, { FUNC_SIGNATURE: 'lambda-v1' }).signature, 'lambda-v1');
  assert.equal(loadSettings([...base, '--signature', 'openfaas'], { FUNC_SIGNATURE: 'lambda' }).signature, 'openfaas');
  assert.throws(() => loadSettings(base, { FUNC_SIGNATURE: 'lambda-v3' }), (err) => err instanceof UsageError
    && /FUNC_SIGNATURE/.test(err.message) && /lambda-v3/.test(err.message)
    && ['kubeless', 'lambda', 'lambda-v1', 'openwhisk', 'openfaas'].every((n) => err.message.includes(n)));
  assert.throws(() => loadSettings([...base, '--signature', 'azure'], {}), /--signature must be one of/);
});

// ---- lambda: request → event -----------------------------------------------------------------

test('lambda 2.0 event: paths, lower-case comma-joined headers, cookies, query, context, text body', () => {
  const req = request('POST', '/a/b?x=1&y=2&x=3', ['Host', 'abc.lambda-url.us-east-1.on.aws', 'X-Dup', 'one',
    'x-dup', 'two', 'Cookie', 'c1=v1; c2=v2', 'User-Agent', 'ua/1', 'Content-Type', 'application/json'], '{"a":1}');
  const event = lambda.eventV2(req, 'evt-9', Date.UTC(2020, 2, 12, 19, 3, 58));
  assert.equal(event.version, '2.0');
  assert.equal(event.rawPath, '/a/b');
  assert.equal(event.rawQueryString, 'x=1&y=2&x=3');
  assert.deepEqual(event.cookies, ['c1=v1', 'c2=v2']);
  assert.deepEqual(event.headers, { host: 'abc.lambda-url.us-east-1.on.aws', 'x-dup': 'one,two', 'user-agent': 'ua/1', 'content-type': 'application/json' });
  assert.deepEqual(event.queryStringParameters, { x: '1,3', y: '2' });
  assert.equal(event.body, '{"a":1}');
  assert.equal(event.isBase64Encoded, false);
  const rc = event.requestContext;
  assert.equal(rc.requestId, 'evt-9');
  assert.equal(rc.time, '12/Mar/2020:19:03:58 +0000');
  assert.equal(rc.timeEpoch, Date.UTC(2020, 2, 12, 19, 3, 58));
  assert.deepEqual([rc.domainName, rc.domainPrefix, rc.apiId, rc.accountId], ['abc.lambda-url.us-east-1.on.aws', 'abc', 'abc', '123456789012']);
  assert.deepEqual(rc.http, { method: 'POST', path: '/a/b', protocol: 'HTTP/1.1', sourceIp: '10.0.0.7', userAgent: 'ua/1' });
});

test('lambda 2.0 event: no body, no query, no cookies → those keys absent; binary → base64', () => {
  const bare = lambda.eventV2(request('GET', '/', ['Host', 'h']), 'e', 0);
  assert.equal('body' in bare || 'queryStringParameters' in bare || 'cookies' in bare, false);
  assert.equal(bare.isBase64Encoded, false);
  for (const [type, body] of [['image/png', PNG], [undefined, Buffer.from('text, but no type')], ['text/plain', Buffer.from([0xff, 0xfe])]]) {
    const raw = type === undefined ? ['Host', 'h'] : ['Host', 'h', 'Content-Type', type];
    const event = lambda.eventV2(request('POST', '/', raw, body), 'e', 0);
    assert.equal(event.isBase64Encoded, true, type);
    assert.deepEqual(Buffer.from(event.body, 'base64'), body);
  }
});

test('lambda 1.0 event: multi-value maps, nulls when absent, identity.sourceIp', () => {
  const req = request('PUT', '/p?a=1&a=2', ['Host', 'h', 'X-Dup', 'one', 'x-dup', 'two', 'Cookie', 'c=1']);
  const event = lambda.eventV1(req, 'evt-2', 0);
  assert.equal(event.httpMethod, 'PUT');
  assert.deepEqual(event.multiValueHeaders['X-Dup'], ['one', 'two']);
  assert.equal(event.headers['X-Dup'], 'two');
  assert.equal(event.headers.Cookie, 'c=1');
  assert.deepEqual(event.multiValueQueryStringParameters, { a: ['1', '2'] });
  assert.deepEqual(event.queryStringParameters, { a: '2' });
  assert.equal(event.body, null);
  assert.equal(event.requestContext.identity.sourceIp, '10.0.0.7');
  assert.equal(event.requestContext.requestId, 'evt-2');
  const none = lambda.eventV1(request('GET', '/', ['Host', 'h']), 'e', 0);
  assert.equal(none.queryStringParameters, null);
  assert.equal(none.multiValueQueryStringParameters, null);
});

test('lambda memory limit in MiB, a string', () => {
  assert.equal(lambda.memoryInMb(null), '128');
  assert.equal(lambda.memoryInMb('256Mi'), '256');
  assert.equal(lambda.memoryInMb('1Gi'), '1024');
  assert.equal(lambda.memoryInMb('268435456'), '256');
});

// ---- lambda: result → answer -----------------------------------------------------------------

test('lambda 2.0 answer: inference of JSON, statusCode objects, cookies, base64', () => {
  let a = lambda.answerV2('Hello', 'e');
  assert.deepEqual([a.status, headerOf(a, 'content-type'), a.body], [200, 'application/json', '"Hello"']);
  a = lambda.answerV2(undefined, 'e');
  assert.equal(a.body, 'null');
  a = lambda.answerV2({ message: 'x' }, 'e');
  assert.deepEqual([a.status, a.body], [200, '{"message":"x"}']);
  a = lambda.answerV2({ statusCode: 201, headers: { 'X-A': 'b' }, cookies: ['a=1', 'b=2'], body: 'hi' }, 'e');
  assert.deepEqual([a.status, headerOf(a, 'x-a'), headerOf(a, 'set-cookie'), a.body], [201, 'b', ['a=1', 'b=2'], 'hi']);
  assert.equal(a.failure, null);
  a = lambda.answerV2({ statusCode: 200, headers: { 'Content-Type': 'image/png' }, body: PNG.toString('base64'), isBase64Encoded: true }, 'e');
  assert.deepEqual(a.body, PNG);
  a = lambda.answerV2({ statusCode: '200' }, 'e');
  assert.equal(a.status, 500);
  assert.match(a.failure, /^the function's result cannot be sent: statusCode must be an integer/);
  a = lambda.answerV2({ a: 1n }, 'e');
  assert.equal(a.status, 500);
});

test('lambda 1.0 answer: the proxy response, or 502 for anything malformed', () => {
  let a = lambda.answerV1({ statusCode: 202, headers: { 'Content-Type': 'text/plain' }, multiValueHeaders: { 'X-M': ['1', '2'] }, body: 'ok' }, 'e');
  assert.deepEqual([a.status, headerOf(a, 'content-type'), headerOf(a, 'x-m'), a.body, a.failure], [202, 'text/plain', ['1', '2'], 'ok', null]);
  for (const bad of ['s', null, undefined, 42, [1], { body: 'x' }, { statusCode: '200' }, { statusCode: 200, body: {} },
    { statusCode: 200, headers: { a: {} } }, { statusCode: 200, multiValueHeaders: { a: 'x' } }, { statusCode: 200, isBase64Encoded: 'yes' }]) {
    a = lambda.answerV1(bad, 'evt-5');
    assert.equal(a.status, 502, JSON.stringify(bad));
    assert.equal(a.body, 'Bad Gateway: malformed Lambda proxy response (event-id: evt-5)');
    assert.match(a.failure, /^malformed Lambda proxy response: /);
  }
});

test('lambda RIE error document', () => {
  class Custom extends Error {}
  const a = lambda.errorDocument(new Custom('bad'));
  const doc = JSON.parse(a.body);
  assert.deepEqual([a.status, headerOf(a, 'x-amz-function-error'), doc.errorType, doc.errorMessage], [200, 'Unhandled', 'Custom', 'bad']);
  assert.ok(Array.isArray(doc.stackTrace) && a.failure.includes('bad'));
  assert.equal(JSON.parse(lambda.errorDocument(new TypeError('t')).body).errorType, 'TypeError');
});

// ---- lambda: the call --------------------------------------------------------------------

test('lambda call: the first of callback / succeed / fail / done / promise counts', async () => {
  const ctx = { 'function-name': 'fn', 'memory-limit': '64Mi', deadline: Date.now() / 1000 + 10 };
  assert.deepEqual(await lambda.call((e, c, cb) => { cb(null, 1); cb(null, 2); c.succeed(3); }, {}, ctx, 'e'), [true, 1]);
  assert.deepEqual(await lambda.call((e, c) => { c.succeed('s'); c.fail(new Error('x')); }, {}, ctx, 'e'), [true, 's']);
  const [ok, err] = await lambda.call((e, c) => c.done(new Error('d')), {}, ctx, 'e');
  assert.equal(ok, false);
  assert.equal(err.message, 'd');
  assert.deepEqual(await lambda.call(async () => 'p', {}, ctx, 'e'), [true, 'p']);
  assert.deepEqual(await lambda.call((e, c, cb) => { setTimeout(() => cb(null, 'later'), 10); }, {}, ctx, 'e'), [true, 'later']);
  assert.deepEqual((await lambda.call(() => { throw new Error('sync'); }, {}, ctx, 'e'))[0], false);
  const [, info] = await lambda.call(async (e, c) => c, {}, ctx, 'evt-c');
  assert.equal(info.awsRequestId, 'evt-c');
  assert.equal(info.memoryLimitInMB, '64');
  assert.equal(info.invokedFunctionArn, `arn:aws:lambda:${process.env.AWS_REGION || 'us-east-1'}:123456789012:function:fn`);
  assert.ok(info.getRemainingTimeInMillis() > 9000 && info.getRemainingTimeInMillis() <= 10000);
});

test('lambda wrapper: the RIE endpoint takes the body as the event and answers the JSON of the result', async () => {
  const wrapped = lambda.v1.wrap(async (event) => ({ got: event }));
  let a = await wrapped(...kubelessArgs(request('POST', lambda.INVOKE_PATH, ['Host', 'h'], '{"k":1}')));
  assert.deepEqual([a.status, JSON.parse(a.body)], [200, { got: { k: 1 } }]);
  a = await wrapped(...kubelessArgs(request('POST', lambda.INVOKE_PATH, ['Host', 'h'])));
  assert.deepEqual(JSON.parse(a.body), { got: {} });
  const failing = lambda.v2.wrap(async () => { throw new Error('boom'); });
  await assert.rejects(failing(...kubelessArgs(request('GET', '/', ['Host', 'h']))), /boom/);
  a = await failing(...kubelessArgs(request('POST', lambda.INVOKE_PATH, ['Host', 'h'], '{}')));
  assert.equal(headerOf(a, 'x-amz-function-error'), 'Unhandled');
  assert.match(a.failure, /boom/);
});

// ---- openwhisk ---------------------------------------------------------------------------

test('openwhisk params: query, then a JSON object body, later wins; __ow_* fields', () => {
  const args = openwhisk.params(request('POST', '/x/y?name=q&only=q', ['Host', 'h', 'Content-Type', 'application/json', 'X-A', 'b'], '{"name":"body"}'));
  assert.deepEqual(args, { name: 'body', only: 'q', __ow_method: 'post', __ow_headers: { host: 'h', 'content-type': 'application/json', 'x-a': 'b' }, __ow_path: '/x/y' });
  const form = openwhisk.params(request('POST', '/', ['Content-Type', 'application/x-www-form-urlencoded'], 'name=Jane'));
  assert.equal(form.name, 'Jane');
  assert.equal(form.__ow_path, '');
  assert.equal('__ow_body' in form, false);
  const text = openwhisk.params(request('POST', '/', ['Content-Type', 'text/plain'], 'Jane'));
  assert.equal(text.__ow_body, 'Jane');
  const array = openwhisk.params(request('POST', '/', ['Content-Type', 'application/json'], '[1,2]'));
  assert.equal(array.__ow_body, '[1,2]');
  const binary = openwhisk.params(request('PUT', '/', ['Content-Type', 'image/png'], PNG));
  assert.deepEqual(Buffer.from(binary.__ow_body, 'base64'), PNG);
  assert.equal(binary.__ow_method, 'put');
});

test('openwhisk answer: HTTP results, 204 without a body, 400 for a non-object, image base64, error projection', () => {
  let a = openwhisk.answer({ body: '<p>hi</p>' }, 'e');
  assert.deepEqual([a.status, headerOf(a, 'content-type'), a.body], [200, 'text/html', '<p>hi</p>']);
  a = openwhisk.answer({ headers: { location: 'http://openwhisk.org' }, statusCode: 302 }, 'e');
  assert.deepEqual([a.status, headerOf(a, 'location'), a.body], [302, 'http://openwhisk.org', '']);
  a = openwhisk.answer({ statusCode: 200, headers: { 'Set-Cookie': ['a=1', 'b=2'] }, body: { x: 1 } }, 'e');
  assert.deepEqual([headerOf(a, 'set-cookie'), headerOf(a, 'content-type'), a.body], [['a=1', 'b=2'], 'application/json', '{"x":1}']);
  a = openwhisk.answer({ headers: { 'Content-Type': 'image/png' }, body: PNG.toString('base64') }, 'e');
  assert.deepEqual(a.body, PNG);
  a = openwhisk.answer({ greeting: 'Hello stranger!' }, 'e'); // no body: 204, as `.http` answers
  assert.deepEqual([a.status, a.body], [204, '']);
  for (const notObject of ['text', [1, 2], 3]) {
    a = openwhisk.answer(notObject, 'e');
    assert.deepEqual([a.status, headerOf(a, 'content-type')], [400, 'application/json']);
  }
  for (const empty of [undefined, null, {}]) assert.deepEqual([openwhisk.answer(empty, 'e').status, openwhisk.answer(empty, 'e').body], [204, '']);
  a = openwhisk.answer({ error: { statusCode: 400, body: 'bad' } }, 'e');
  assert.deepEqual([a.status, a.body], [400, 'bad']);
  assert.equal(openwhisk.answer({ statusCode: 'x', body: 'b' }, 'e').status, 500);
});

test('openwhisk load: a top-level main that is not exported, with the module scope (vm)', async () => {
  const main = await openwhisk.load(path.join(__dirname, 'functions', 'ow_unexported.js'), 'main');
  assert.deepEqual(main({ name: 'Jane' }), { body: 'hello Jane!', file: 'ow_unexported.js', dir: 'functions' });
  const exported = await openwhisk.load(path.join(__dirname, 'functions', 'ow_exported.js'), 'main');
  assert.deepEqual(exported({ a: 1 }), { exported: true, params: { a: 1 } });
  await assert.rejects(openwhisk.load(path.join(__dirname, 'functions', 'ow_exported.js'), 'other'), /no function other/);
  const wrapped = await loadFunction('openwhisk', path.join(__dirname, 'functions', 'ow_unexported.js'), 'main');
  const a = await wrapped(...kubelessArgs(request('GET', '/?name=Ann', ['Host', 'h'])));
  assert.ok(a instanceof Answer);
  assert.deepEqual([a.status, a.body], [200, 'hello Ann!']);
});

// ---- openfaas ----------------------------------------------------------------------------

test('openfaas event.body by content type, as the template parses it', () => {
  const body = (type, text) => openfaas.parseBody(request('POST', '/', type === undefined ? ['Content-Length', '1'] : ['Content-Type', type, 'Content-Length', '1'], text));
  assert.deepEqual(body('application/json', '{"a":1}'), { a: 1 });
  assert.equal(body('text/plain', 'hi'), 'hi');
  assert.equal(body(undefined, 'hi'), 'hi');
  assert.deepEqual(body('application/x-www-form-urlencoded', 'a=1&b=2'), { a: '1', b: '2' });
  assert.deepEqual(body('application/octet-stream', 'raw'), Buffer.from('raw'));
  assert.deepEqual(openfaas.parseBody(request('GET', '/', ['Host', 'h'])), {});
  assert.throws(() => body('application/json', '{'), SyntaxError);
});

test('openfaas answer: objects stringified as text/html, context status and headers, errors', () => {
  const ctx = () => new openfaas.FunctionContext(() => {});
  let a = openfaas.answer(undefined, { a: 1 }, ctx(), 'e');
  assert.deepEqual([a.status, headerOf(a, 'content-type'), a.body], [200, 'text/html; charset=utf-8', '{"a":1}']);
  a = openfaas.answer(undefined, 'Page has moved.', ctx().headers({ Location: 'https://www.google.com/' }).status(307), 'e');
  assert.deepEqual([a.status, headerOf(a, 'location'), a.body], [307, 'https://www.google.com/', 'Page has moved.']);
  a = openfaas.answer(undefined, { ok: true }, ctx().headers({ 'Content-Type': 'application/json' }), 'e');
  assert.equal(headerOf(a, 'content-type'), 'application/json; charset=utf-8');
  a = openfaas.answer(undefined, undefined, ctx(), 'e');
  assert.deepEqual([a.status, a.body], [200, '']);
  a = openfaas.answer('Unable to process this event.', undefined, ctx(), 'e');
  assert.deepEqual([a.status, a.body], [500, 'Unable to process this event.']);
  assert.ok(a.failure.includes('Unable to process'));
  a = openfaas.answer(new Error('x'), undefined, ctx().status(418), 'e');
  assert.deepEqual([a.status, a.body], [418, 'Error: x']);
});

test('openfaas wrapper: succeed, fail, callback, returned value; the first answer counts', async () => {
  const run = (fn, req = request('GET', '/', ['Host', 'h'])) => openfaas.wrap(fn)(...kubelessArgs(req));
  let a = await run((event, context) => context.status(201).succeed({ body: event.method }));
  assert.deepEqual([a.status, a.body], [201, '{"body":"GET"}']);
  a = await run((event, context) => context.fail('nope'));
  assert.deepEqual([a.status, a.body], [500, 'nope']);
  a = await run((event, context, cb) => { cb(undefined, { result: 'message received' }); cb(undefined, 'second'); });
  assert.equal(a.body, '{"result":"message received"}');
  a = await run(async () => 'returned');
  assert.equal(a.body, 'returned');
  a = await run(async () => { throw new Error('rejected'); });
  assert.deepEqual([a.status, a.body], [500, 'Error: rejected']);
  a = await run((event) => event.body, request('POST', '/', ['Content-Type', 'application/json', 'Content-Length', '1'], '{'));
  assert.equal(a.status, 400);
});
