'use strict';
// The Express helpers Kubeless functions used on `event.extensions.request/response`
// (CONTRACT §3), as subclasses of Node's own request/response classes: the server creates these
// directly, so the helpers cost nothing per request until a function calls one.

const crypto = require('node:crypto');
const http = require('node:http');
const querystring = require('node:querystring');
const typeis = require('type-is');
const mime = require('mime-types');

const kQuery = Symbol('query');
const kOriginalUrl = Symbol('originalUrl');
// Set on a response whose platform's Express sends ETags (its default, 'weak'; FUNC_SIGNATURE=
// fission): res.send then adds one and answers 304 to a matching If-None-Match, as Express does.
const ETAGS = Symbol('etags');

class Request extends http.IncomingMessage {
  // `body`: the raw body as a Buffer, set by the server before the call (not for multipart,
  // whose stream is left to the function). Not initialised here: the constructor runs for every
  // request, probes included.

  /** Express's alias kept for webhook-signature code. */
  get rawBody() {
    return this.body;
  }

  /** Header value by case-insensitive name (`Referer` and `Referrer` are one). */
  get(name) {
    const lower = String(name).toLowerCase();
    if (lower === 'referer' || lower === 'referrer') return this.headers.referer || this.headers.referrer;
    return this.headers[lower];
  }

  header(name) {
    return this.get(name);
  }

  /** The matching type of the request's Content-Type, `false`, or `null` without a body (type-is). */
  is(...types) {
    return typeis(this, types.flat());
  }

  /** The query string as an object (repeated keys become arrays), parsed on first use. */
  get query() {
    if (this[kQuery] === undefined) {
      const at = this.url.indexOf('?');
      this[kQuery] = at === -1 ? {} : { ...querystring.parse(this.url.slice(at + 1)) };
    }
    return this[kQuery];
  }

  get path() {
    const at = this.url.indexOf('?');
    return at === -1 ? this.url : this.url.slice(0, at);
  }

  get hostname() {
    const host = this.headers.host || '';
    return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  }

  get ip() {
    return this.socket?.remoteAddress;
  }

  get protocol() {
    return this.socket?.encrypted ? 'https' : 'http';
  }

  get secure() {
    return this.protocol === 'https';
  }

  /** Whether X-Requested-With is XMLHttpRequest (Express's req.xhr). */
  get xhr() {
    return String(this.headers['x-requested-with'] ?? '').toLowerCase() === 'xmlhttprequest';
  }

  /** The request target as received (Express's req.originalUrl; nothing here rewrites req.url). */
  get originalUrl() {
    return this[kOriginalUrl] ?? this.url;
  }

  set originalUrl(value) {
    this[kOriginalUrl] = value;
  }
}

/** Express's res.set rule: a text-ish Content-Type without a charset gets mime-types' charset. */
function withCharset(value) {
  const text = String(value);
  if (/;\s*charset\s*=/i.test(text)) return text;
  const charset = mime.charset(text.split(';')[0]);
  return charset ? `${text}; charset=${charset.toLowerCase()}` : text;
}

/** Express's setCharset(type, 'utf-8'): the charset parameter replaced or added. */
function utf8Charset(type) {
  return `${type.replace(/;\s*charset\s*=\s*("[^"]*"|[^;]*)/ig, '').trim()}; charset=utf-8`;
}

// encodeurl's rule: characters not allowed in a URL, and % not starting an escape, are encoded.
const UNSAFE_IN_URL = /(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$))+/g;

function encodeUrl(url) {
  return url.replace(UNSAFE_IN_URL, (part) => {
    try {
      return encodeURI(part);
    } catch {
      return encodeURI(part.replace(/[\uD800-\uDFFF]/g, '\uFFFD')); // a lone surrogate
    }
  });
}

/** The etag module's weak ETag of a body (Express's default 'etag fn'). */
function weakEtag(chunk) {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  const hash = crypto.createHash('sha1').update(bytes).digest('base64').substring(0, 27);
  return `W/"${bytes.length.toString(16)}-${hash}"`;
}

/** The fresh module's If-None-Match rule (Express's req.fresh) for a GET or HEAD answered 2xx/304. */
function isFresh(req, res) {
  const method = req?.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  const status = res.statusCode;
  if ((status < 200 || status >= 300) && status !== 304) return false;
  const noneMatch = req.headers['if-none-match'];
  if (!noneMatch || /(?:^|,)\s*no-cache\s*(?:,|$)/.test(req.headers['cache-control'] ?? '')) return false;
  if (noneMatch.trim() === '*') return true;
  const etag = String(res.getHeader('etag') ?? '');
  if (etag === '') return false;
  const bare = (tag) => tag.trim().replace(/^W\//, '');
  return noneMatch.split(',').some((tag) => bare(tag) === bare(etag));
}

class Response extends http.ServerResponse {
  status(code) {
    this.statusCode = code;
    return this;
  }

  set(field, value) {
    if (field !== null && typeof field === 'object') {
      for (const [name, val] of Object.entries(field)) this.set(name, val);
      return this;
    }
    let val = Array.isArray(value) ? value.map(String) : String(value);
    if (String(field).toLowerCase() === 'content-type') {
      if (Array.isArray(val)) throw new TypeError('Content-Type cannot be set to an Array');
      val = withCharset(val);
    }
    this.setHeader(field, val);
    return this;
  }

  header(field, value) {
    return this.set(field, value);
  }

  get(field) {
    return this.getHeader(field);
  }

  /** Content-Type from a full type or an extension-like name (`json`, `html`, `.txt`). */
  type(type) {
    const full = String(type).includes('/') ? String(type) : (mime.lookup(String(type)) || 'application/octet-stream');
    return this.set('Content-Type', full);
  }

  contentType(type) {
    return this.type(type);
  }

  /**
   * Express's res.send (4 and 5 alike for these cases): a string → text/html unless a type is
   * set, and a string's Content-Type gets charset=utf-8; bytes → application/octet-stream; null →
   * empty; other values → res.json; Content-Length set. A 204 or 304 sends no body and no
   * Content-Type, a 205 an empty body. An ETag (and a 304 when fresh) only on a response marked
   * ETAGS (Kubeless's and the Functions Framework's answers have none).
   */
  send(body) {
    let chunk = body;
    if (typeof chunk === 'string') {
      if (!this.hasHeader('content-type')) this.setHeader('Content-Type', 'text/html; charset=utf-8');
    } else if (chunk === null) {
      chunk = '';
    } else if (chunk instanceof Uint8Array) {
      if (!this.hasHeader('content-type')) this.setHeader('Content-Type', 'application/octet-stream');
    } else if (chunk !== undefined) {
      return this.json(chunk);
    }
    // (once the head is out, Express's res.set would throw: the body still goes out, as before)
    if (typeof chunk === 'string' && !this.headersSent) {
      const type = this.getHeader('content-type');
      if (typeof type === 'string') this.setHeader('Content-Type', utf8Charset(type));
    }
    if (chunk !== undefined && !this.headersSent) {
      // Set as Express sets it (the access log reads it for a response the function wrote)
      this.setHeader('Content-Length', String(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength));
      if (this[ETAGS] === true && !this.hasHeader('etag')) this.setHeader('ETag', weakEtag(chunk));
      if (this[ETAGS] === true && isFresh(this.req, this)) this.statusCode = 304;
    }
    const status = this.headersSent ? 0 : this.statusCode;
    if (status === 204 || status === 304) {
      this.removeHeader('Content-Type');
      this.removeHeader('Content-Length');
      this.removeHeader('Transfer-Encoding');
      chunk = '';
    } else if (status === 205) {
      this.setHeader('Content-Length', '0');
      this.removeHeader('Transfer-Encoding');
      chunk = '';
    }
    this.end(chunk ?? '');
    return this;
  }

  json(value) {
    const text = JSON.stringify(value);
    if (!this.hasHeader('content-type')) this.setHeader('Content-Type', 'application/json; charset=utf-8');
    return this.send(text === undefined ? '' : text);
  }

  /** Express's res.append: adds a value to a header, keeping what it had. */
  append(field, value) {
    const prev = this.getHeader(field);
    let next = value;
    if (prev !== undefined && prev !== '') {
      if (Array.isArray(prev)) next = prev.concat(value);
      else next = Array.isArray(value) ? [prev].concat(value) : [prev, value];
    }
    return this.set(field, next);
  }

  /** Express's res.location: the URL percent-encoded where needed (escapes kept, as encodeurl). */
  location(url) {
    return this.set('Location', encodeUrl(String(url)));
  }

  sendStatus(code) {
    this.statusCode = code;
    this.setHeader('Content-Type', 'text/plain; charset=utf-8');
    this.end(http.STATUS_CODES[code] || String(code));
    return this;
  }

  redirect(statusOrUrl, maybeUrl) {
    const [code, url] = maybeUrl === undefined ? [302, statusOrUrl] : [statusOrUrl, maybeUrl];
    this.statusCode = code;
    this.setHeader('Location', encodeUrl(String(url)));
    this.end();
    return this;
  }
}

module.exports = { Request, Response, withCharset, ETAGS };
