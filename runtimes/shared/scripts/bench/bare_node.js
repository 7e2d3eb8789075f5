'use strict';
// The reference the Node.js runtime is measured against: a bare http.createServer hello world
// answering the same body and content type as the benchmarked function.
const http = require('node:http');

const port = Number(process.argv[2] || 8080);
const body = Buffer.from('hello world');
http
  .createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  })
  .listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
