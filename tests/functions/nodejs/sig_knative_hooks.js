'use strict';
// FUNC_SIGNATURE=knative: a faas-js Function object with every hook (nodeshift/faas-js-runtime@53505e5
// README "Function": init, shutdown, liveness, readiness — health checks are Fastify handlers
// (request, reply)), observable: init and shutdown print a line, POSTs make it unwell.
let started = 0;
let alive = true;
let ready = true;

module.exports = {
  init() {
    started += 1;
    console.log(`knative-hooks: start pid=${process.pid}`);
  },
  shutdown() {
    console.log(`knative-hooks: stop pid=${process.pid}`);
  },
  liveness(request, reply) {
    return alive ? 'OK' : false;
  },
  readiness(request, reply) {
    if (!ready) return reply.code(503).send('warming the cache');
    return 'OK';
  },
  handle(context) {
    if (context.method === 'POST') {
      alive = context.query.sick === undefined;
      ready = context.query.busy === undefined;
    }
    return `${started} ${process.env.KNATIVE_GREETING} pid=${process.pid}`;
  },
};
