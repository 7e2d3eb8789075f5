'use strict';
// FUNC_SIGNATURE=fission: fission/examples nodejs/hello-callback.js (F-js-3), re-created: a
// function of two parameters answers through callback(status, body, headers).

module.exports = (context, callback) => {
  callback(200, 'Hello, world callback!\n');
};
