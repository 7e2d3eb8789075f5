'use strict';
// The runtime's own endpoints (CONTRACT §2, shared decisions §1): `GET`/`HEAD` `/healthz`,
// `/readyz` and `/metrics`, any query string allowed. Answered before the in-flight limit,
// never access-logged, never counted. Any other method on these paths reaches the function.

const { TEXT, sendError } = require('./responses');
const { message } = require('./log-format');

const SLASH = 47;
const QUESTION = 63;
const H = 104;
const M = 109;
const R = 114;

function isPath(url, path) {
  return url === path || (url.startsWith(path) && url.charCodeAt(path.length) === QUESTION);
}

/**
 * `probe(req, res, url)` for a GET or HEAD request: answers it and returns true when `url` is one
 * of the runtime's endpoints. `readiness()` → [status, body] (readiness.js); `metrics` (metrics.js).
 */
function createProbes({ metrics, readiness }) {
  function text(res, status, body) {
    res.writeHead(status, ['Content-Type', TEXT, 'Content-Length', String(Buffer.byteLength(body))]);
    res.end(body);
  }

  function scrape(res) {
    metrics.text().then(([contentType, body]) => {
      res.setHeader('Content-Type', contentType);
      res.end(body);
    }, (err) => {
      message(`error: /metrics failed: ${err?.stack ?? err}`);
      sendError(res, 500, 'Internal Server Error: metrics failed');
    });
  }

  return function probe(req, res, url) {
    if (url.charCodeAt(0) !== SLASH) return false;
    switch (url.charCodeAt(1)) {
      case H:
        if (!isPath(url, '/healthz')) return false;
        text(res, 200, 'OK');
        return true;
      case R: {
        if (!isPath(url, '/readyz')) return false;
        const [status, body] = readiness();
        text(res, status, body);
        return true;
      }
      case M:
        if (!isPath(url, '/metrics')) return false;
        scrape(res);
        return true;
      default:
        return false;
    }
  };
}

module.exports = { createProbes };
