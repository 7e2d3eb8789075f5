'use strict';
// A faas-js Function object with hooks (test/knative.test.js).
module.exports = {
  init() { this.started = true; },
  shutdown() {},
  liveness() { return 'OK'; },
  readiness(request, reply) { return reply.code(503).send('not yet\nsecond line'); },
  handle(context, body) { return { body: { started: this.started === true, body } }; },
};
