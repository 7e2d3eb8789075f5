'use strict';
// CORS (CONTRACT §2): the headers each response gets (added in FunctionResponse.writeHead), and
// the preflights the runtime answers itself.

const PREFLIGHT_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const ANY_ORIGIN = Object.freeze(['Access-Control-Allow-Origin', '*']);

/**
 * `cors(req, res, headers)`: sets `res.cors` (the headers to add), and answers a preflight (then
 * returns true). `settings.cors`: `{mode: any|list|off, origins}`; `logRequest`: the access log.
 * Returns null with `off`: nothing to do.
 */
function createCors(settings, logRequest) {
  const mode = settings.cors.mode;
  const origins = settings.cors.origins;
  const accessLog = settings.accessLog;
  if (mode === 'off') return null;

  function preflight(req, res) {
    res.statusCode = 204;
    res.setHeader('Access-Control-Allow-Methods', PREFLIGHT_METHODS);
    const asked = req.headers['access-control-request-headers'];
    if (asked !== undefined) res.setHeader('Access-Control-Allow-Headers', asked);
    res.setHeader('Access-Control-Max-Age', '86400');
    res.end();
    if (accessLog) logRequest(req, res);
  }

  return function cors(req, res, headers) {
    const origin = headers.origin;
    if (mode === 'any') {
      res.cors = ANY_ORIGIN;
    } else if (origin !== undefined) {
      res.cors = origins.has(origin) ? ['Vary', 'Origin', 'Access-Control-Allow-Origin', origin] : ['Vary', 'Origin'];
    }
    if (origin !== undefined && req.method === 'OPTIONS' && headers['access-control-request-method'] !== undefined) {
      preflight(req, res);
      return true;
    }
    return false;
  };
}

module.exports = { createCors };
