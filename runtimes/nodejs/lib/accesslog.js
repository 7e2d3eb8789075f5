'use strict';
// The access log on stdout (CONTRACT §7): the Apache combined format, as Kubeless's morgan wrote
// it, or (FUNC_LOG_FORMAT=json) a `kubeless.access` record per request whose body is that line,
// with OpenTelemetry's HTTP attributes (shared decisions §2). Lines are gathered and written every
// FLUSH_MS (or at once past BUFFER_BYTES): a write per request would cost a system call each, as
// stdout to a pipe or file is synchronous in Node. A write holds whole lines only.

const { record, out, SCOPE_ACCESS } = require('./log-format');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const NEEDS_ESCAPE = /["\\\x00-\x1f\x7f]/;

const FLUSH_MS = 20;
const BUFFER_BYTES = 64 * 1024;

// Each line is encoded into this buffer at once: strings kept until the flush would survive
// garbage collections and be flattened at the write, which costs several times more.
let buffer = Buffer.allocUnsafe(BUFFER_BYTES);
let used = 0;
let scheduled = false;
let stampSecond = -1;
let stamp = '';

function pad(n) {
  return n < 10 ? `0${n}` : String(n);
}

/** `[26/Nov/2026:17:40:00 +0000]`, made once per second. */
function timestamp(nowMs) {
  const second = Math.floor(nowMs / 1000);
  if (second !== stampSecond) {
    const d = new Date(second * 1000);
    stamp = `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`;
    stampSecond = second;
  }
  return stamp;
}

function escape(text) {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/["\\\x00-\x1f\x7f]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

function flush() {
  scheduled = false;
  if (used === 0) return;
  const full = buffer.subarray(0, used);
  buffer = Buffer.allocUnsafe(BUFFER_BYTES); // the stream may still hold the old one
  used = 0;
  out(full);
}

/** Writes what is gathered now; for exit paths. */
function flushNow() {
  if (used === 0) return;
  try {
    require('node:fs').writeSync(1, buffer, 0, used);
  } catch {
    // stdout gone: nothing left to tell
  }
  used = 0;
}

/**
 * Node hands request lines and headers over as latin1 strings (one char per byte): written back
 * as latin1, the log shows the bytes the client sent.
 */
function append(line, encoding = 'latin1') {
  const length = encoding === 'latin1' ? line.length : Buffer.byteLength(line, encoding);
  if (used + length > BUFFER_BYTES) {
    flush();
    if (length > BUFFER_BYTES) {
      out(Buffer.from(line, encoding));
      return;
    }
  }
  used += buffer.write(line, used, encoding);
  if (!scheduled) {
    scheduled = true;
    setTimeout(flush, FLUSH_MS);
  }
}

const kPrefix = Symbol('logPrefix');

/** The logged body size: `bytes` when known (0 is `-`), else the Content-Length header, else `-`. */
function bodySize(res, bytes) {
  if (bytes === undefined) {
    const header = res.getHeader('content-length');
    return header === undefined ? '-' : header;
  }
  return bytes === 0 ? '-' : bytes;
}

/**
 * Logs one answered request, stamped with `whenMs` (when it arrived, as Apache's %t). `bytes` is
 * the body size when known (else the response's Content-Length header, else `-`).
 */
function logRequest(req, res, bytes, whenMs = Date.now()) {
  const headers = req.headers;
  const size = bodySize(res, bytes);
  const socket = req.socket;
  let prefix = socket[kPrefix];
  if (prefix === undefined) prefix = socket[kPrefix] = `${socket.remoteAddress || '-'} - - `;
  const referer = headers.referer;
  const agent = headers['user-agent'];
  append(`${prefix}${timestamp(whenMs)} "${req.method} ${escape(req.url)} HTTP/${req.httpVersion}" ${res.statusCode} ${size} "${referer === undefined ? '-' : escape(referer)}" "${agent === undefined ? '-' : escape(agent)}"\n`);
}

/**
 * One line for a request this process's main thread cannot log itself (the watchdog thread's
 * 408 while the event loop is blocked): written by the caller, straight to fd 1.
 */
function formatLine(remote, whenMs, method, url, httpVersion, status, size, agent, referer) {
  return `${remote || '-'} - - ${timestamp(whenMs)} "${method} ${escape(url)} HTTP/${httpVersion}" ${status} ${size} "${referer === undefined ? '-' : escape(referer)}" "${agent === undefined ? '-' : escape(agent)}"\n`;
}

/** Text Node hands over as latin1 (one char per byte), read as the UTF-8 the client most likely sent. */
function fromLatin1(text) {
  return /[\x80-\xff]/.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text;
}

function severityOf(status) {
  if (status >= 500) return 'ERROR';
  return status >= 400 ? 'WARN' : 'INFO';
}

/**
 * The JSON record of one answered request (as `formatLine`'s arguments, `call` the call it
 * answered, or null for a request the function never saw): its body is the Apache line.
 */
function accessRecord(remote, whenMs, method, url, httpVersion, status, size, referer, agent, call) {
  const line = formatLine(remote, whenMs, method, url, httpVersion, status, size, agent, referer);
  const at = url.indexOf('?');
  const bodySize = Number(size);
  return record(severityOf(status), fromLatin1(line.slice(0, -1)), SCOPE_ACCESS, call, {
    'http.request.method': method,
    'url.path': fromLatin1(at === -1 ? url : url.slice(0, at)),
    'url.query': at === -1 || at === url.length - 1 ? undefined : fromLatin1(url.slice(at + 1)),
    'http.response.status_code': status,
    'http.response.body.size': bodySize > 0 ? bodySize : undefined,
    'user_agent.original': agent === undefined ? undefined : fromLatin1(agent),
    'client.address': remote || undefined,
    'network.protocol.version': httpVersion,
  });
}

/** `logRequest` for FUNC_LOG_FORMAT=json; `call` (optional) gives the record its ids. */
function logRecord(req, res, bytes, whenMs = Date.now(), call = null) {
  const size = bodySize(res, bytes);
  const headers = req.headers;
  append(accessRecord(req.socket.remoteAddress, whenMs, req.method, req.url, req.httpVersion, res.statusCode, size,
    headers.referer, headers['user-agent'], call?.trace ? call : null), 'utf8');
}

/**
 * The access logger of a log format: `(req, res, bytes, whenMs, call)` (`call`: the call this
 * answered, for the JSON record's ids; the Apache line has no use for it).
 */
function accessLogger(format) {
  return format === 'json' ? logRecord : logRequest;
}

module.exports = { logRequest, accessLogger, accessRecord, flushNow, formatLine };
