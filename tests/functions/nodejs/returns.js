'use strict';
// `dispatch` / `dispatch_async`: return or write what the `x-case` header names (contract §5).

const { Readable } = require('node:stream');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const SHARED = {
  text: () => 'hello',
  unicode: () => 'héllo wörld ✓ 🚀',
  bytes: () => Buffer.from([0x00, 0x01, 0xfe, 0xff, ...Buffer.from('binary')]),
  dict: () => ({ a: 1, b: [1, 2], c: 'ü' }),
  list: () => [1, 'two', null],
  number: () => 42,
  float: () => 1.5,
  bool: () => true,
  none: () => undefined,
  raise: () => { throw new Error('boom from the function'); },
};

const NODE_ONLY = {
  throw_string: () => { throw 'a thrown string'; }, // eslint-disable-line no-throw-literal
  status_send: (res) => { res.status(201).set('X-Custom', 'one').send('made'); },
  set_object: (res) => { res.set({ 'X-One': '1', 'X-Two': '2' }).status(202).send('set'); },
  json_method: (res) => { res.status(203).json({ via: 'res.json' }); },
  send_status: (res) => { res.sendStatus(204); },
  type_html: (res) => { res.type('text/html').send('<b>bold</b>'); },
  set_content_type_then_return: (res) => { res.set('Content-Type', 'text/csv'); return 'a,b\n'; },
  ended: (res) => { res.end('written by the function'); return 'ignored'; },
  writing: (res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.write('part one, ');
    setTimeout(() => res.end('part two'), 100);
    return 'ignored';
  },
  promise: () => Promise.resolve({ resolved: true }),
  reject: () => Promise.reject(new Error('rejected by the function')),
  stream: () => Readable.from(['a', 'b', 'c']),
  slow_stream: () => Readable.from((async function* gen() {
    yield 'first\n';
    await sleep(800);
    yield 'second\n';
  })()),
  ext_stream: async (res) => {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.write('one\n');
    await sleep(400);
    res.write('two\n');
    await sleep(400);
    res.end('three\n');
  },
};

function dispatch(event, context) {
  const req = event.extensions.request;
  const res = event.extensions.response;
  const kase = req.headers['x-case'] || 'text';
  if (kase === 'print') {
    console.log('PRINTED ' + (req.headers['x-token'] || ''));
    return 'printed';
  }
  const make = SHARED[kase] || NODE_ONLY[kase];
  if (!make) throw new Error(`unknown case ${kase}`);
  return make(res);
}

async function dispatch_async(event, context) {
  const req = event.extensions.request;
  const kase = req.headers['x-case'] || 'text';
  await sleep(0);
  if (kase === 'sleep') {
    await sleep(1000 * Number(req.headers['x-seconds'] || '1'));
    return 'slept';
  }
  if (kase === 'raise') throw new Error('boom from the async function');
  return dispatch(event, context);
}

module.exports = { dispatch, dispatch_async };
