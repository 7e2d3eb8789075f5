'use strict';
// metrics.js: a scrape sums this worker's function metrics with the snapshots of the others.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { createMetrics } = require('../lib/metrics');

function sample(text, line) {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.split(' ').pop());
}

test('counts of workers that are gone are added to this one\'s', async () => {
  const gone = createMetrics(() => 0);
  gone.forMethod('POST').calls.inc(3);
  gone.forMethod('POST').timeouts.inc();
  gone.forMethod('POST').duration.observe(0.3);
  const snapshot = await gone.snapshot();

  const live = createMetrics(() => 2, async () => [snapshot]);
  live.forMethod('POST').calls.inc();
  live.forMethod('GET').calls.inc(2);
  const [, text] = await live.text();
  assert.equal(sample(text, 'function_calls_total{method="POST"}'), 4);
  assert.equal(sample(text, 'function_calls_total{method="GET"}'), 2);
  assert.equal(sample(text, 'function_timeouts_total{method="POST"}'), 1);
  assert.equal(sample(text, 'function_duration_seconds_count{method="POST"}'), 1);
  assert.equal(sample(text, 'function_calls_in_flight'), 2);
  assert.ok(text.includes('process_cpu_user_seconds_total'), 'default process metrics missing');
});

test('without a supervisor a scrape shows this worker alone', async () => {
  const alone = createMetrics(() => 0);
  alone.forMethod('GET').failures.inc();
  const [contentType, text] = await alone.text();
  assert.match(contentType, /^text\/plain/);
  assert.equal(sample(text, 'function_failures_total{method="GET"}'), 1);
});

test('the supervisor folds snapshots by series and adds the lost calls', async () => {
  const { sumSnapshots, counterSnapshot } = require('../lib/snapshots');
  const a = createMetrics(() => 0);
  a.forMethod('GET').calls.inc(2);
  a.forMethod('GET').duration.observe(0.2);
  const b = createMetrics(() => 0);
  b.forMethod('GET').calls.inc(3);
  b.forMethod('POST').duration.observe(1);
  const retired = sumSnapshots(sumSnapshots([], await a.snapshot()), await b.snapshot());
  const lost = counterSnapshot({ function_calls_total: { GET: 1 }, function_failures_total: { GET: 1 } });
  const live = createMetrics(() => 0, async () => [retired, lost]);
  const [, text] = await live.text();
  assert.equal(sample(text, 'function_calls_total{method="GET"}'), 6);
  assert.equal(sample(text, 'function_failures_total{method="GET"}'), 1);
  assert.equal(sample(text, 'function_duration_seconds_count{method="POST"}'), 1);
  assert.equal(sample(text, 'function_duration_seconds_bucket{le="0.25",method="GET"}'), 1);
});
