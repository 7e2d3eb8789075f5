'use strict';
// The worker's node:http server around the app: connection-level limits and the answers to
// requests the HTTP parser refuses (CONTRACT §5 "Errors the runtime answers"), and the drain.

const http = require('node:http');
const { Request } = require('./express');
const { FunctionResponse, rawAnswer, startDraining } = require('./responses');
const { accessLogger } = require('./accesslog');

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
 * The access-log line of a request the parser refused, when its request line arrived (the
 * parser hands over the bytes it read as `rawPacket`).
 */
function logRefused(logRequest, socket, rawPacket, status, bytes) {
  if (!Buffer.isBuffer(rawPacket)) return;
  const end = rawPacket.indexOf('\r\n');
  const line = rawPacket.toString('latin1', 0, end === -1 ? Math.min(rawPacket.length, 8192) : end);
  const match = /^(\S+) (\S+) HTTP\/(\d\.\d)$/.exec(line);
  if (match === null) return;
  const req = { method: match[1], url: match[2], httpVersion: match[3], headers: {}, socket };
  logRequest(req, { statusCode: status, getHeader() {} }, bytes);
}

/**
 * Creates the HTTP server (not yet listening) for `app`. Returns `{server, drain}`:
 * `drain(graceMs)` stops taking connections and resolves with the number of calls still running
 * when the calls in flight have ended or `graceMs` has passed.
 */
function createServer(settings, app) {
  const logRequest = accessLogger(settings.logFormat);
  const server = http.createServer({
    IncomingMessage: Request,
    ServerResponse: FunctionResponse,
    keepAliveTimeout: 65_000,
    requestTimeout: 0, // the body's time counts toward the call's deadline instead (app.js)
    headersTimeout: settings.headerTimeout * 1000,
    maxHeaderSize: settings.maxHeaderSize,
    // How often Node checks the header timeout (its default, 30 s, would stretch a 10 s limit).
    connectionsCheckingInterval: Math.min(1000, settings.headerTimeout * 250),
  }, app.onRequest);

  // `Expect: 100-continue` with a Content-Length over the limit, or at the in-flight limit:
  // refused before the upload (no 100 Continue; the app answers 413 from the Content-Length
  // alone, or 429).
  server.on('checkContinue', (req, res) => {
    if (!(Number(req.headers['content-length']) > settings.bodyLimit) && !app.atLimit()) res.writeContinue();
    app.onRequest(req, res);
  });

  // Node hands a CONNECT request over as a bare socket, with no response object to give a
  // function: it is answered here (a tunnel is not a function call).
  server.on('connect', (req, socket) => {
    const body = 'Not Implemented: CONNECT is not supported';
    if (settings.accessLog) logRequest(req, { statusCode: 501, getHeader() {} }, Buffer.byteLength(body));
    socket.on('error', () => {});
    socket.end(rawAnswer(501, body));
  });

  server.on('clientError', (err, socket) => {
    if (!socket.writable || socket.destroyed || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, body] = parserAnswer(err, settings);
    socket.end(rawAnswer(status, body));
    if (settings.accessLog) logRefused(logRequest, socket, err.rawPacket, status, Buffer.byteLength(body));
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
