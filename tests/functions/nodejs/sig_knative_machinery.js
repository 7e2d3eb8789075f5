'use strict';
// FUNC_SIGNATURE=knative: the machinery cases' handlers (SHARED-DECISIONS-11b): `hello` answers
// 200 `hello` as faas-js answers a string (text/plain; charset=utf-8), `slow` answers after 3 s
// without blocking, `boom` throws new Error('boom').
module.exports = {
  hello: async () => 'hello',
  slow: () => new Promise((resolve) => setTimeout(() => resolve('slow'), 3000)),
  boom: async () => {
    throw new Error('boom');
  },
};
