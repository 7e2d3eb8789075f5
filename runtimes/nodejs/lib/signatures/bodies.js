'use strict';
// Request bodies parsed as Express's body-parser middlewares leave them in `req.body`, for the
// signatures whose functions get an Express request (gcf, fission). Each platform stacks the
// parsers in its own order with its own media types: the first parser whose type matches the
// request's Content-Type parses the body, as body-parser's `type` option does (type-is), and a
// request without a body, or that no parser takes, keeps `req.body` undefined (body-parser 2 /
// Express 5). Written here rather than depending on body-parser: the image must not grow
// (SHARED-DECISIONS-11b). What body-parser does and this does not: inflating a Content-Encoding
// (refused here with 415, one line), and the charsets iconv-lite knows beyond TextDecoder's.

const querystring = require('node:querystring');
const typeis = require('type-is');
const { Answer, TEXT } = require('../responses');

/** A body the parsers refuse: answered `status` with `message` (one line). */
class BodyError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }

  /** The runtime's answer to it, for an adapter to return. */
  answer() {
    return new Answer(this.status, ['Content-Type', TEXT], this.message);
  }
}

const ARRAY_LIMIT = 100; // body-parser 2's urlencoded `extended` arrays (qs arrayLimit)
const DEPTH = 32; // body-parser 2's urlencoded `depth`

/** The charset parameter of a Content-Type, lower-cased, or undefined. */
function charsetOf(contentType) {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match === null ? undefined : match[1].toLowerCase();
}

/** Text of `body` in `charset` (default UTF-8); 415 for a charset Node cannot decode. */
function decode(body, charset = 'utf-8') {
  let decoder;
  try {
    decoder = new TextDecoder(charset);
  } catch {
    throw new BodyError(415, `Unsupported Media Type: unsupported charset "${charset.toUpperCase()}"`);
  }
  return decoder.decode(body);
}

/** body-parser's json (strict: only an object or an array at the top; an empty body is {}). */
function parseJson(body, contentType) {
  const charset = charsetOf(contentType) ?? 'utf-8';
  if (!charset.startsWith('utf-')) {
    throw new BodyError(415, `Unsupported Media Type: unsupported charset "${charset.toUpperCase()}"`);
  }
  const text = decode(body, charset);
  if (text.length === 0) return {};
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text);
  if (first !== null && first[1] !== '{' && first[1] !== '[') {
    throw new BodyError(400, `Bad Request: malformed JSON body: only an object or an array is accepted (strict), not ${JSON.stringify(first[1])}…`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BodyError(400, `Bad Request: malformed JSON body: ${err.message}`);
  }
}

/** body-parser's text: the body decoded with its charset (UTF-8 by default). */
function parseText(body, contentType) {
  return decode(body, charsetOf(contentType));
}

/** body-parser's raw: the bytes. */
function parseRaw(body) {
  return body;
}

/** body-parser's urlencoded `extended: false`: Node's querystring. */
function parseSimpleForm(body, contentType) {
  return { ...querystring.parse(decode(body, charsetOf(contentType))) };
}

/** The key path of a qs key: `a[b][]` → ['a', 'b', ''] (at most DEPTH brackets; the rest kept whole). */
function keyPath(key) {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  const bracket = /\[([^[\]]*)\]/y;
  bracket.lastIndex = open;
  let match;
  while (parts.length <= DEPTH && (match = bracket.exec(key)) !== null) parts.push(match[1]);
  if (bracket.lastIndex !== 0 && bracket.lastIndex < key.length) parts.push(`[${key.slice(bracket.lastIndex)}]`);
  return parts;
}

/** Whether a key path part makes an array slot (qs: `[]`, or an index up to ARRAY_LIMIT). */
function isIndex(part) {
  return part === '' || (/^\d+$/.test(part) && Number(part) <= ARRAY_LIMIT);
}

/** Sets `value` at `parts` under `target` as qs does: `[]` appends, a small index is an array slot. */
function assign(target, parts, value) {
  let node = target;
  for (let i = 0; i < parts.length; i += 1) {
    let key = parts[i];
    if (Array.isArray(node)) key = key === '' ? node.length : Number(key);
    if (i === parts.length - 1) {
      node[key] = Object.hasOwn(node, key) && node[key] !== undefined ? [].concat(node[key], value) : value;
      return;
    }
    const wantArray = isIndex(parts[i + 1]);
    let child = node[key];
    if (child === undefined || child === null || typeof child !== 'object') {
      child = wantArray ? [] : {};
      node[key] = child;
    } else if (Array.isArray(child) && !wantArray) {
      child = { ...child }; // qs: a named key turns an array into an object
      node[key] = child;
    }
    node = child;
  }
}

/** Arrays made sparse by indexes (`a[2]=x`) are compacted, as qs does. */
function compact(value) {
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(compact);
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) value[key] = compact(value[key]);
  }
  return value;
}

/** body-parser's urlencoded `extended: true` (qs): `a[b]=1&c[]=2` → {a: {b: '1'}, c: ['2']}. */
function parseExtendedForm(body, contentType) {
  const text = decode(body, charsetOf(contentType));
  const out = {};
  if (text.length === 0) return out;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = querystring.unescape(rawKey.replace(/\+/g, ' '));
    if (key === '' || key === '__proto__' || key.startsWith('__proto__[')) continue;
    assign(out, keyPath(key), querystring.unescape(rawValue.replace(/\+/g, ' ')));
  }
  return compact(out);
}

const PARSERS = {
  json: parseJson, text: parseText, raw: parseRaw, form: parseSimpleForm, extendedForm: parseExtendedForm,
};

/**
 * A body parser stack: `[[kind, mediaTypes], …]` in the platform's order, `kind` one of json,
 * text, raw, form (urlencoded, simple), extendedForm (urlencoded, qs). Returns
 * `parse(req) → {parsed: bool, body}`; throws BodyError for a body the parser refuses.
 */
function parserStack(stack) {
  const entries = stack.map(([kind, types]) => [PARSERS[kind], types]);
  return function parse(req) {
    if (!typeis.hasBody(req)) return { parsed: false, body: undefined };
    const contentType = req.headers['content-type'];
    if (contentType === undefined) return { parsed: false, body: undefined };
    for (const [parser, types] of entries) {
      if (!typeis(req, types)) continue;
      const encoding = (req.headers['content-encoding'] || 'identity').toLowerCase();
      if (encoding !== 'identity') {
        throw new BodyError(415, `Unsupported Media Type: the runtime does not decode content-encoding "${encoding}"`);
      }
      return { parsed: true, body: parser(req.body ?? Buffer.alloc(0), contentType) };
    }
    return { parsed: false, body: undefined };
  };
}

module.exports = { parserStack, BodyError, parseExtendedForm, parseJson, charsetOf };
