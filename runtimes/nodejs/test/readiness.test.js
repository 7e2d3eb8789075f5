'use strict';
// readiness.js: the /readyz answer and its reasons (shared decisions §1).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { createReadiness } = require('../lib/readiness');

test('ready, at the limit, starting', () => {
  let inFlight = 0;
  let canRun = true;
  const answer = createReadiness({ canRun: () => canRun, inFlight: () => inFlight, maxInflight: 2 });
  assert.deepEqual(answer(), [200, 'OK']);
  inFlight = 1;
  assert.deepEqual(answer(), [200, 'OK']);
  inFlight = 2;
  assert.deepEqual(answer(), [503, 'Not Ready: at the in-flight limit (FUNC_MAX_INFLIGHT=2)']);
  canRun = false; // cannot run a call at all: that is the first reason
  assert.deepEqual(answer(), [503, 'Not Ready: starting']);
  inFlight = 0;
  assert.deepEqual(answer(), [503, 'Not Ready: starting']);
});

test('without a limit any number of calls in flight is ready', () => {
  const answer = createReadiness({ inFlight: () => 1e6, maxInflight: 0 });
  assert.deepEqual(answer(), [200, 'OK']);
});
