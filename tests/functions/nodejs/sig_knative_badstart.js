'use strict';
// FUNC_SIGNATURE=knative: a faas-js Function object whose init() fails (faas-js awaits init
// before it starts the server: a rejection ends the start).
module.exports = {
  async init() {
    throw new Error('DATABASE_URL is not set');
  },
  handle() {
    throw new Error('never called');
  },
};
