'use strict';
// FUNC_SIGNATURE=gcf: nodejs-docs-samples functions/http/httpContent/index.js
// (functions_http_content), re-created: an exported HTTP function (FUNC_HANDLER names the export,
// as FF's --target) reading the body as FF's parsers leave it, by Content-Type.

const escapeHtml = require('escape-html');

exports.helloContent = (req, res) => {
  let name;
  switch (req.get('content-type')) {
    case 'application/json': // {"name": "John"}
      ({ name } = req.body);
      break;
    case 'application/octet-stream': // John, as a Buffer
      name = req.body.toString();
      break;
    case 'text/plain': // John
      name = req.body;
      break;
    case 'application/x-www-form-urlencoded': // name=John
      ({ name } = req.body);
      break;
    default:
      break;
  }
  res.status(200).send(`Hello ${escapeHtml(name || 'World')}!`);
};

// The Functions Framework README (G-js-3): exports.helloWorld with --target=helloWorld.
exports.helloWorld = (req, res) => {
  res.send('Hello, World');
};
