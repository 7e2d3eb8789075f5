'use strict';
// FUNC_SIGNATURE=gcf: nodejs-docs-samples functions/helloworld/helloworldGet/index.js (G-js-1),
// re-created with `require`, and a function saying which framework package the code got: the real
// one (its testing module has getTestServer) or the runtime's shim (getFunction only). The cases
// serve this file from here (the real package resolves) and from a folder of its own (it does not).

const functions = require('@google-cloud/functions-framework');
const testing = require('@google-cloud/functions-framework/testing');

functions.http('helloGET', (req, res) => {
  res.send('Hello World!');
});

functions.http('framework', (req, res) => {
  res.json({
    real: typeof testing.getTestServer === 'function',
    registered: testing.getFunction('helloGET') !== undefined,
  });
});

exports.notRegistered = 'not a function';
