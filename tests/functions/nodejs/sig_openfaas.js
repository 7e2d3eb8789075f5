'use strict';
// FUNC_SIGNATURE=openfaas (issue 11, SHARED-DECISIONS-11 "openfaas"): the node22 template's
// `module.exports = async (event, context) => …` (the module exports the function itself).
//
// `event.query.case` picks what to answer: the OpenFaaS docs' own snippets (O-js-2, O-js-3a:
// docs.openfaas.com/languages/node, node8-express README), `event` (what the function got), and the
// template's result mapping (openfaas/templates template/node22/index.js).

module.exports = async (event, context) => {
  switch (event.query.case) {
    // O-js-2: a redirect with a header and a status, then a JSON object with 404.
    case 'moved':
      return context
        .headers({ 'Location': 'https://www.google.com/' })
        .status(307)
        .succeed('Page has moved.');
    case 'not_found':
      return context
        .status(404)
        .succeed({ "message": "The record requested was not found." });
    // O-js-3: context.fail → 500 with the message as text.
    case 'fail':
      return context.fail("Unable to process this event.");

    // The suite's own.
    case 'event':
      return {
        method: event.method,
        path: event.path,
        query: event.query,
        body_kind: Buffer.isBuffer(event.body) ? 'buffer' : typeof event.body,
        body: Buffer.isBuffer(event.body) ? event.body.toString('base64') : event.body,
        header: event.headers['x-custom'],
        status: context.status(),
        headers: context.headers(),
      };
    case 'object': return { a: 1, b: [true, null] };
    case 'array': return [1, 'two'];
    case 'string': return 'plain string';
    case 'buffer': return Buffer.from([0, 1, 2, 255]);
    case 'undefined': return undefined;
    case 'typed': return context.headers({ 'Content-Type': 'application/json' }).succeed({ a: 1 });
    case 'status_object': return context.status(201).headers({ 'X-Extra': 'yes' }).succeed({ made: true });
    case 'raise': throw new Error('boom from sig_openfaas');
    case 'status_then_raise':
      context.status(503);
      throw new Error('unavailable from sig_openfaas');
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return 'slept';
    default: return 'no case';
  }
};
