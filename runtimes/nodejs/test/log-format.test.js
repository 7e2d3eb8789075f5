'use strict';
// log-format.js and capture.js: the JSON records (shared decisions §2), the function's output as
// records, one per line, per call and per stream.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { record, isoTime } = require('../lib/log-format');

const CHILD = path.join(__dirname, 'functions', 'capture-child.js');

function records(scenario) {
  const out = execFileSync(process.execPath, [CHILD, scenario], { encoding: 'utf8' });
  assert.ok(out.endsWith('\n'), 'every record ends with a newline');
  return out.slice(0, -1).split('\n').map((line) => JSON.parse(line));
}

test('a record has the keys in order, and leaves out those without a value', () => {
  const call = { eventId: 'EV', trace: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), flags: '00' } };
  const line = record('WARN', 'hello "you"\n\tthere', 'function', call, { 'log.iostream': 'stderr', skipped: undefined }, Date.UTC(2026, 10, 27, 5, 0, 0, 7));
  assert.equal(line, '{"timestamp":"2026-11-27T05:00:00.007Z","severity_text":"WARN","severity_number":13,'
    + '"body":"hello \\"you\\"\\n\\tthere","scope":"function","trace_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",'
    + '"span_id":"bbbbbbbbbbbbbbbb","trace_flags":"00","attributes":{"faas.invocation_id":"EV","log.iostream":"stderr"}}\n');
  const bare = JSON.parse(record('INFO', 'up', 'kubeless.runtime'));
  assert.deepEqual(Object.keys(bare), ['timestamp', 'severity_text', 'severity_number', 'body', 'scope']);
  assert.match(bare.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const attributes = JSON.parse(record('INFO', 'x', 'kubeless.access', null, { 'http.response.status_code': 200 })).attributes;
  assert.deepEqual(attributes, { 'http.response.status_code': 200 });
});

test('severity numbers follow OpenTelemetry', () => {
  const numbers = Object.fromEntries(['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].map((s) => [s, JSON.parse(record(s, '', 'x')).severity_number]));
  assert.deepEqual(numbers, { DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 });
});

test('text that is not plain ASCII stays one valid line of JSON', () => {
  const body = 'é ✓ \u0000 \u2028 \ud800';
  const line = record('INFO', body, 'function');
  assert.equal(line.indexOf('\n'), line.length - 1);
  assert.equal(JSON.parse(line).body, body);
  assert.ok(Buffer.from(line, 'utf8').toString('utf8') === line, 'no lone surrogate is written raw');
});

test('timestamps are RFC 3339 UTC with milliseconds', () => {
  assert.equal(isoTime(Date.UTC(2026, 0, 2, 3, 4, 5, 60)), '2026-01-02T03:04:05.060Z');
  assert.equal(isoTime(Date.UTC(2026, 0, 2, 3, 4, 5, 999)), '2026-01-02T03:04:05.999Z');
  assert.equal(isoTime(Date.UTC(2026, 0, 2, 3, 4, 6, 0)), '2026-01-02T03:04:06.000Z');
});

test('console methods and stream writes become records with their severity and stream', () => {
  const got = records('console');
  const seen = got.map((r) => [r.severity_text, r.body.split('\n')[0], r.attributes['log.iostream']]);
  assert.deepEqual(seen.slice(0, 6), [
    ['DEBUG', 'd', 'stdout'],
    ['INFO', 'l 1', 'stdout'],
    ['INFO', 'i', 'stdout'],
    ['WARN', 'w', 'stderr'],
    ['ERROR', 'e', 'stderr'],
    ['ERROR', 'Trace: t', 'stderr'],
  ]);
  // console.trace's stack lines: one record each, all ERROR
  const assertAt = got.findIndex((r) => r.body === 'Assertion failed: asserted');
  assert.ok(assertAt > 6, 'console.assert wrote its line');
  for (const r of got.slice(6, assertAt)) assert.deepEqual([r.severity_text, r.attributes['log.iostream']], ['ERROR', 'stderr']);
  assert.equal(got[assertAt].severity_text, 'WARN');
  assert.deepEqual(got.slice(assertAt + 1).map((r) => [r.severity_text, r.body, r.attributes['log.iostream']]), [
    ['INFO', 'raw out', 'stdout'],
    ['ERROR', 'raw err', 'stderr'], // \r\n loses its \r
  ]);
  for (const r of got) {
    assert.equal(r.scope, 'function');
    assert.equal(r.trace_id, 'a'.repeat(32));
    assert.equal(r.span_id, 'b'.repeat(16));
    assert.equal(r.trace_flags, '01');
    assert.equal(r.attributes['faas.invocation_id'], 'E1');
    assert.equal(r.severity_number, { DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17 }[r.severity_text]);
  }
});

test('partial lines are held per call and stream until the newline or the call\'s end', () => {
  const got = records('partial').map((r) => [r.attributes?.['faas.invocation_id'] ?? null, r.attributes?.['log.iostream'], r.body]);
  assert.deepEqual(got.filter(([id]) => id === 'A'), [
    ['A', 'stdout', 'a1 a2 a3'],
    ['A', 'stdout', 'A-tail'], // written at the call's end
    ['A', 'stdout', 'late'], // after it: at once
  ]);
  assert.deepEqual(got.filter(([id]) => id === 'B'), [
    ['B', 'stdout', 'b1 b2'],
    ['B', 'stdout', 'b3 b4'],
    ['B', 'stderr', 'held err'],
  ]);
  assert.deepEqual(got.filter(([id]) => id === null), [
    [null, 'stdout', 'outside the calls'],
    [null, 'stdout', 'left at exit'], // outside any call: at the process's exit
  ]);
});

test('runtime messages: one record, stack included, with the call\'s ids; plain stderr lines in apache', () => {
  const [error, info] = records('message');
  assert.equal(error.body, 'error: event-id=E9: Error: x\n    at y (z.js:1:1)');
  assert.equal(error.scope, 'kubeless.runtime');
  assert.equal(error.severity_text, 'ERROR');
  assert.equal(error.trace_id, 'c'.repeat(32));
  assert.equal(error.attributes['faas.invocation_id'], 'E9');
  assert.deepEqual(info, { timestamp: info.timestamp, severity_text: 'INFO', severity_number: 9, body: 'kubeless-runtime: serving', scope: 'kubeless.runtime' });

  const script = "const f = require(process.argv[1]); f.configure('apache'); f.message('error: plain\\n  at x'); f.message('note', 'INFO');";
  const plain = spawnSync(process.execPath, ['-e', script, path.join(__dirname, '..', 'lib', 'log-format.js')], { encoding: 'utf8' });
  assert.equal(plain.stdout, '');
  assert.equal(plain.stderr, 'error: plain\n  at x\nnote\n');
});
