'use strict';
// FUNC_SIGNATURE=knative: faas-js-runtime's result mapping (nodeshift/faas-js-runtime@53505e5
// lib/invoker.js) and what handle(context, body) receives (lib/context.js), by `?case=`.
const CASES = {
  nothing: () => undefined,
  empty: () => '',
  text: () => 'plain text',
  object: () => ({ greeting: 'hi', list: [1, 2] }),
  array: () => [1, 'two'],
  created: () => ({ statusCode: 201, headers: { 'X-Made-By': 'knative' }, body: { id: 7 } }),
  typed: () => ({ body: '<p>hi</p>', headers: { 'Content-Type': 'text/html' } }),
  bodytext: () => ({ body: 'no type given' }),
  number: () => 42,
  teapot: () => {
    const err = new Error('short and stout');
    err.code = 418;
    throw err;
  },
  named: () => {
    const err = new Error('no such file');
    err.code = 'ENOENT';
    throw err;
  },
  badstatus: () => ({ statusCode: 1000, body: 'x' }),
  echo: (context, body) => ({
    body: {
      method: context.method,
      query: context.query,
      spread: context.color ?? null,
      contentType: context.contentType ?? null,
      httpVersion: context.httpVersion,
      header: context.headers['x-test'] ?? null,
      bodyType: body === undefined ? 'undefined' : Buffer.isBuffer(body) ? 'buffer' : typeof body,
      body: Buffer.isBuffer(body) ? body.toString('base64') : body ?? null,
      rawBody: context.rawBody ?? null,
      cloudevent: context.cloudevent ? context.cloudevent.type : null,
    },
  }),
};

function handle(context, body) {
  const make = CASES[context.query.case];
  if (make === undefined) throw new Error(`no case ${context.query.case}`);
  return make(context, body);
}

module.exports = { handle };
