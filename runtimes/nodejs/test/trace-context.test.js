'use strict';
// trace-context.js: the traceparent parser (W3C Trace Context, shared decisions §2) and the ids
// of a call.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { parseTraceparent, callTrace, newTraceId, newSpanId } = require('../lib/trace-context');

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

test('a valid version-00 traceparent gives its trace id, parent id and sampled bit', () => {
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-01`), { traceId: TRACE, parentId: PARENT, flags: '01' });
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-00`), { traceId: TRACE, parentId: PARENT, flags: '00' });
  // only the sampled bit is kept
  assert.equal(parseTraceparent(`00-${TRACE}-${PARENT}-03`).flags, '01');
  assert.equal(parseTraceparent(`00-${TRACE}-${PARENT}-fe`).flags, '00');
});

test('invalid traceparents', () => {
  const invalid = [
    '',
    'garbage',
    `00-${TRACE}-${PARENT}-01-`, // version 00 is exactly 55 characters
    `00-${TRACE}-${PARENT}-01x`,
    `ff-${TRACE}-${PARENT}-01`, // version ff
    `00-${TRACE.toUpperCase()}-${PARENT}-01`, // uppercase hex
    `00-${'0'.repeat(32)}-${PARENT}-01`, // all-zero trace id
    `00-${TRACE}-${'0'.repeat(16)}-01`, // all-zero parent id
    `00-${TRACE.slice(1)}-${PARENT}-01`, // short trace id
    `00-${TRACE}-${PARENT}-1`, // short flags
    `00_${TRACE}-${PARENT}-01`, // wrong separator
    `0g-${TRACE}-${PARENT}-01`, // not hex
    `00-${TRACE}-${PARENT.slice(0, 15)}z-01`,
    `01-${TRACE}-${PARENT}-01x`, // a later version: the 56th character must be '-'
    ` 00-${TRACE}-${PARENT}-01`,
  ];
  for (const value of invalid) assert.equal(parseTraceparent(value), null, JSON.stringify(value));
  assert.equal(parseTraceparent(undefined), null);
});

test('a later version parses its first 55 characters; what follows a dash is ignored', () => {
  assert.deepEqual(parseTraceparent(`01-${TRACE}-${PARENT}-01`), { traceId: TRACE, parentId: PARENT, flags: '01' });
  assert.deepEqual(parseTraceparent(`cc-${TRACE}-${PARENT}-00-what-ever`), { traceId: TRACE, parentId: PARENT, flags: '00' });
});

test('new ids are random lowercase hex of the right length', () => {
  const traces = new Set();
  const spans = new Set();
  for (let i = 0; i < 2000; i += 1) {
    const trace = newTraceId();
    const span = newSpanId();
    assert.match(trace, /^[0-9a-f]{32}$/);
    assert.match(span, /^[0-9a-f]{16}$/);
    assert.notEqual(trace, '0'.repeat(32));
    traces.add(trace);
    spans.add(span);
  }
  assert.equal(traces.size, 2000);
  assert.equal(spans.size, 2000);
});

test('a call continues a valid trace with a span of its own, and keeps tracestate as received', () => {
  const headers = { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'a=1, b=2' };
  const raw = ['traceparent', headers.traceparent, 'TraceState', 'a=1', 'Host', 'x', 'tracestate', 'b=2'];
  const trace = callTrace(headers, raw);
  assert.equal(trace.traceId, TRACE);
  assert.equal(trace.parentId, PARENT);
  assert.equal(trace.flags, '01');
  assert.match(trace.spanId, /^[0-9a-f]{16}$/);
  assert.notEqual(trace.spanId, PARENT);
  assert.equal(trace.tracestate, 'a=1,b=2'); // header lines joined with ','
  assert.equal(trace.traceparent, `00-${TRACE}-${trace.spanId}-01`);
});

test('without a valid traceparent a call starts a new sampled trace, and tracestate is ignored', () => {
  for (const headers of [{}, { traceparent: 'nope', tracestate: 'a=1' }]) {
    const raw = Object.entries(headers).flat();
    const trace = callTrace(headers, raw);
    assert.match(trace.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(trace.traceId, TRACE);
    assert.equal(trace.parentId, null);
    assert.equal(trace.flags, '01');
    assert.equal(trace.tracestate, null);
    assert.equal(trace.traceparent, `00-${trace.traceId}-${trace.spanId}-01`);
  }
  // two calls, two traces and two spans
  const a = callTrace({}, []);
  const b = callTrace({}, []);
  assert.notEqual(a.traceId, b.traceId);
  assert.notEqual(a.spanId, b.spanId);
});

test('an unsampled parent keeps its flags; the version sent on is 00', () => {
  const trace = callTrace({ traceparent: `7f-${TRACE}-${PARENT}-00` }, []);
  assert.equal(trace.flags, '00');
  assert.equal(trace.traceparent, `00-${TRACE}-${trace.spanId}-00`);
});
