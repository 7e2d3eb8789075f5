// FUNC_SIGNATURE=gcf: nodejs-docs-samples functions/http/httpMethods/index.js
// (functions_http_method), re-created as an ES module: the framework imported with `import`
// (the real package beside this folder, or the runtime's shim where it is not installed).
import * as functions from '@google-cloud/functions-framework';

functions.http('helloHttp', (req, res) => {
  switch (req.method) {
    case 'GET':
      res.status(200).send('Hello World!');
      break;
    case 'PUT':
      res.status(403).send('Forbidden!');
      break;
    default:
      res.status(405).send({ error: 'Something blew up!' });
      break;
  }
});
