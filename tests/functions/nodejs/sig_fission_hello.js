'use strict';
// FUNC_SIGNATURE=fission: fission/environments nodejs/test/test-case-1/helloWorld.js (F-js-1),
// re-created: module.exports itself the function, resolving to {status, body}.

module.exports = async (context) => ({
  status: 200,
  body: 'hello, world!\n',
});
