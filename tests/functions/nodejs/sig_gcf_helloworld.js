'use strict';
// FUNC_SIGNATURE=gcf: the "helloworld" samples of GoogleCloudPlatform/nodejs-docs-samples
// (functions/helloworld/index.js; foreign-signatures.md §2 G-js-1, G-js-2), re-created: HTTP
// functions registered with the Functions Framework (the real package, installed by this folder's
// package.json) and answering through Express's res.send.

const functions = require('@google-cloud/functions-framework');
const escapeHtml = require('escape-html');

// G-js-1 (functions_helloworld_get)
functions.http('helloGET', (req, res) => {
  res.send('Hello World!');
});

// G-js-2 (functions_helloworld_http): the name from the query, else the parsed body.
functions.http('helloHttp', (req, res) => {
  res.send(`Hello ${escapeHtml(req.query.name || req.body.name || 'World')}!`);
});

// helloError4: an HTTP function that answers its own error.
functions.http('helloError4', (req, res) => {
  res.status(500).send('I failed you');
});
