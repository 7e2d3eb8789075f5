'use strict';
// The worker's node:http server around the app: connection-level limits and the answers to
// requests the HTTP parser refuses (CONTRACT §5 "Errors the runtime answers"), and the drain.

const http = require('node:http');
const { Request } = require('./express');
const { FunctionResponse, rawAnswer, startDraining } = require('./responses');

/** The answer to a request the parser refused, by llhttp's error code. */
function parserAnswer(err, settings) {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, `Request Header Fields Too Large: the limit is ${settings.maxHeaderSize} bytes`];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, `Request Timeout: the request headers did not arrive within ${settings.headerTimeout} s`];
    case 'HPE_INVALID_METHOD':
      return [501, 'Not Implemented: unknown method'];
    default:
      return [400, `Bad Request: ${err.code || 'malformed request'}`];
  }
}

/**
 * Creates the HTTP server (not yet listening) for `app`. Returns `{server, drain}`:
 * `drain(graceMs)` stops taking connections and resolves with the number of calls still running
 * when the calls in flight have ended or `graceMs` has passed.
 */
function createServer(settings, app) {
  const server = http.createServer({
    IncomingMessage: Request,
    ServerResponse: FunctionResponse,
    keepAliveTimeout: 65_000,
    requestTimeout: 0, // the body's time counts toward the call's deadline instead (app.js)
    headersTimeout: settings.headerTimeout * 1000,
    maxHeaderSize: settings.maxHeaderSize,
  }, app.onRequest);

  server.on('clientError', (err, socket) => {
    if (!socket.writable || socket.destroyed || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, body] = parserAnswer(err, settings);
    socket.end(rawAnswer(status, body));
  });

  function drain(graceMs) {
    startDraining();
    return new Promise((resolve) => {
      server.close();
      server.closeIdleConnections();
      const started = performance.now();
      const poll = setInterval(() => {
        server.closeIdleConnections();
        if (app.inFlight.size === 0 || performance.now() - started >= graceMs) {
          clearInterval(poll);
          resolve(app.inFlight.size);
        }
      }, 25);
    });
  }

  return { server, drain };
}

module.exports = { createServer };
