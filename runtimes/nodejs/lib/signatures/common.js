'use strict';
// What the signature adapters share: reading the request the runtime hands them, and the
// answers the runtime makes itself (CONTRACT §5) in the adapters' Answer form.

const { isUtf8 } = require('node:buffer');
const { Answer, TEXT, JSON_TYPE, internalErrorBody } = require('../responses');

// Text-ish content types whose UTF-8 bodies travel as text (SAM CLI's rule, decisions §lambda).
const TEXTUAL = /^(?:text\/[^;\s]+|application\/(?:[^;\s/]+\+)?(?:json|xml)|application\/x-www-form-urlencoded|application\/(?:x-)?javascript|[^;\s/]+\/[^;\s/]+\+(?:json|xml))\s*(?:;|$)/i;
const JSON_CONTENT = /^application\/(?:[^;\s/]+\+)?json\s*(?:;|$)/i;
const FORM_CONTENT = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;

/** [path, query string without '?'] of a request target. */
function splitUrl(url) {
  const at = url.indexOf('?');
  return at === -1 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
}

/** The body as text when it is UTF-8 under a text-ish content type, else null (binary). */
function bodyText(body, contentType) {
  if (contentType === undefined || !TEXTUAL.test(contentType) || !isUtf8(body)) return null;
  return body.toString('utf8');
}

/** The request's body bytes ('' for none). */
function bodyOf(req) {
  return req.body ?? Buffer.alloc(0);
}

/**
 * Headers from the raw list: lower-case names, repeated headers joined with `joiner`, names in
 * `skip` left out.
 */
function joinedHeaders(rawHeaders, joiner, skip = null) {
  const out = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (skip !== null && skip.has(name)) continue;
    const value = rawHeaders[i + 1];
    out[name] = Object.hasOwn(out, name) ? `${out[name]}${joiner}${value}` : value;
  }
  return out;
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function safeString(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** How the runtime logs a thrown value (as app.js does). */
function describeError(err) {
  return err instanceof Error ? (err.stack || String(err)) : `a non-Error value was thrown: ${safeString(err)}`;
}

/** The contract's 500 for a result the signature cannot map (CONTRACT §5), counted as failed. */
function unsendable(eventId, reason) {
  return new Answer(500, ['Content-Type', TEXT], internalErrorBody(eventId), `the function's result cannot be sent: ${reason}`);
}

/** JSON text of a value, or an Error saying why there is none. */
function jsonText(value) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    return new Error(err.message);
  }
  return text === undefined ? new Error(`${describe(value)} has no JSON form`) : text;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The value of header `name` (any case) in an object of headers, or undefined. */
function headerIn(headers, name) {
  if (!isPlainObject(headers)) return undefined;
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  return undefined;
}

/**
 * For adapters whose function answers on the response itself (gcf, fission): a promise that
 * settles once, resolving with undefined when `res` is over (finished or closed), or through
 * `onFailure(err, resolve, reject)` (default: rejects) when `run(failed)` reports a failure first.
 */
function untilResponseOver(res, run, onFailure = (err, resolve, reject) => reject(err)) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const once = (settle) => (value) => {
      if (settled) return;
      settled = true;
      settle(value);
    };
    const over = once(() => resolve(undefined));
    const failed = once((err) => onFailure(err, resolve, reject));
    res.once('finish', over);
    res.once('close', over);
    run(failed);
  });
}

module.exports = {
  TEXT, JSON_TYPE, JSON_CONTENT, FORM_CONTENT, Answer,
  splitUrl, bodyText, bodyOf, joinedHeaders, isThenable, isPlainObject, describeError, unsendable,
  jsonText, describe, headerIn, untilResponseOver,
};
