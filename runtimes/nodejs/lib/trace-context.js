'use strict';
// W3C Trace Context (https://www.w3.org/TR/trace-context/, shared decisions §2): the trace a call
// belongs to, read from its request's `traceparent` and `tracestate` headers, and the call's own
// span. Every call gets a new span id; a request without a valid `traceparent` starts a new trace
// (sampled, as OpenTelemetry's default parent-based always-on sampler decides).

const { randomFillSync } = require('node:crypto');

// Ids are cut from a pool of random hex text, refilled when used up: a `toString('hex')` per id
// costs about four times more than slicing a string made once per 4 KiB of randomness.
const POOL_BYTES = 4096;
const poolBytes = Buffer.alloc(POOL_BYTES);
let pool = '';
let at = 0;

const HEADER = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** `chars` random lowercase hex characters. */
function randomHex(chars) {
  if (at + chars > pool.length) {
    randomFillSync(poolBytes);
    pool = poolBytes.toString('hex');
    at = 0;
  }
  const text = pool.slice(at, at + chars);
  at += chars;
  return text;
}

/** A random 16-byte trace id (never the invalid all-zero one). */
function newTraceId() {
  let id = randomHex(32);
  while (id === ZERO_TRACE) id = randomHex(32);
  return id;
}

/** A random 8-byte span id (never the invalid all-zero one). */
function newSpanId() {
  let id = randomHex(16);
  while (id === ZERO_SPAN) id = randomHex(16);
  return id;
}

/**
 * A `traceparent` header's `{traceId, parentId, flags}`, or null when it is invalid: not
 * `VV-TRACEID-PARENTID-FF` in lowercase hex, version `ff`, version `00` with anything after its 55
 * characters, a later version whose 56th character is not `-`, an all-zero trace or parent id.
 * `flags` keeps the sampled bit only (`01` or `00`).
 */
function parseTraceparent(value) {
  if (typeof value !== 'string' || value.length < 55) return null;
  const head = value.length === 55 ? value : value.slice(0, 55);
  if (!HEADER.test(head)) return null;
  const version = head.slice(0, 2);
  if (version === 'ff') return null;
  if (value.length > 55 && (version === '00' || value.charCodeAt(55) !== 45 /* - */)) return null;
  const traceId = head.slice(3, 35);
  const parentId = head.slice(36, 52);
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return null;
  const flags = (parseInt(head.slice(53, 55), 16) & 1) === 1 ? '01' : '00';
  return { traceId, parentId, flags };
}

/** Every line of header `name` (lowercase) joined with `,` (Node joins them with `, `). */
function joinedHeader(rawHeaders, name) {
  const values = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === name.length && rawHeaders[i].toLowerCase() === name) values.push(rawHeaders[i + 1]);
  }
  return values.join(',');
}

/** The trace context of one call (the context's `trace-*` keys, the log records' ids). */
class Trace {
  constructor(traceId, spanId, parentId, flags, tracestate) {
    this.traceId = traceId;
    this.spanId = spanId;
    this.parentId = parentId; // null: a new trace
    this.flags = flags;
    this.tracestate = tracestate; // null: none, or not read (the traceparent was invalid)
  }

  /** What the function sends on its own outgoing calls. */
  get traceparent() {
    return `00-${this.traceId}-${this.spanId}-${this.flags}`;
  }
}

/**
 * The trace of a call from its request's headers (`req.headers`, `req.rawHeaders`): the received
 * trace when `traceparent` is valid (then `tracestate` as received, its lines joined with `,`),
 * else a new one; a new span id either way.
 */
function callTrace(headers, rawHeaders) {
  const header = headers.traceparent;
  const parent = header === undefined ? null : parseTraceparent(header);
  if (parent === null) return new Trace(newTraceId(), newSpanId(), null, '01', null);
  const tracestate = headers.tracestate === undefined ? null : joinedHeader(rawHeaders, 'tracestate');
  return new Trace(parent.traceId, newSpanId(), parent.parentId, parent.flags, tracestate);
}

/** A Trace from its fields (as an executor receives them: [traceId, spanId, parentId, flags, tracestate]). */
function traceFrom(fields) {
  return new Trace(fields[0], fields[1], fields[2], fields[3], fields[4]);
}

/** A Trace's fields, for a message to an executor. */
function traceFields(trace) {
  return [trace.traceId, trace.spanId, trace.parentId, trace.flags, trace.tracestate];
}

/** The context's trace keys (CONTRACT §4), the same in a worker and in an executor. */
function setContextTrace(context, trace) {
  context['trace-id'] = trace.traceId;
  context['span-id'] = trace.spanId;
  context['parent-span-id'] = trace.parentId;
  context['trace-flags'] = trace.flags;
  context.traceparent = trace.traceparent;
  context.tracestate = trace.tracestate;
}

module.exports = { setContextTrace, parseTraceparent, callTrace, newTraceId, newSpanId, traceFrom, traceFields, Trace };
