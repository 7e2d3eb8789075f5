'use strict';
// settings.js: the ranges of the shared decisions, --isolation, negative flag values.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { loadSettings, UsageError } = require('../lib/settings');

const BASE = ['--from-file', 'f.js', '--handler', 'f.main'];

function settings(args = [], env = {}) {
  return loadSettings([...BASE, ...args], env);
}

function refused(args, env, pattern) {
  assert.throws(() => settings(args, env), (err) => err instanceof UsageError && pattern.test(err.message));
}

test('defaults of the isolation and concurrency settings', () => {
  const s = settings();
  assert.equal(s.isolation, 'worker');
  assert.equal(s.concurrency, 40);
  assert.equal(s.executorsMin, 1);
  assert.equal(s.executorIdle, 30);
  assert.equal(s.maxHeaderSize, 65536);
  assert.equal(s.headerTimeout, 10);
});

test('auto means worker in Node.js; the flag wins over the variable', () => {
  assert.equal(settings([], { FUNC_ISOLATION: 'auto' }).isolation, 'worker');
  assert.equal(settings([], { FUNC_ISOLATION: 'CALL' }).isolation, 'call');
  assert.equal(settings(['--isolation', 'call'], { FUNC_ISOLATION: 'worker' }).isolation, 'call');
  refused([], { FUNC_ISOLATION: 'sometimes' }, /^FUNC_ISOLATION must be one of auto, call, worker/);
  refused(['--isolation', 'x'], {}, /^--isolation must be one of/);
});

test('values out of range name the variable and the whole range', () => {
  refused(['--timeout', '-1'], {}, /^--timeout must be a number greater than 0 and at most 86400, got "-1"$/);
  refused(['--timeout', '2500000'], {}, /at most 86400/);
  refused([], { FUNC_TIMEOUT: 'inf' }, /^FUNC_TIMEOUT must be a number greater than 0 and at most 86400/);
  refused([], { FUNC_GRACE_PERIOD: '3601' }, /^FUNC_GRACE_PERIOD must be a number at least 0 and at most 3600/);
  refused([], { FUNC_CONCURRENCY: '0' }, /^FUNC_CONCURRENCY must be an integer at least 1 and at most 1000/);
  refused([], { FUNC_CONCURRENCY: '2.5' }, /^FUNC_CONCURRENCY must be an integer/);
  refused([], { FUNC_CONCURRENCY: '4', FUNC_EXECUTORS_MIN: '5' }, /^FUNC_EXECUTORS_MIN must be an integer at least 0 and at most 4/);
  refused([], { FUNC_EXECUTOR_IDLE: '0' }, /^FUNC_EXECUTOR_IDLE must be a number greater than 0 and at most 86400/);
  refused([], { FUNC_MAX_HEADER_SIZE: '1023' }, /^FUNC_MAX_HEADER_SIZE must be an integer at least 1024 and at most 1048576/);
  refused([], { FUNC_HEADER_TIMEOUT: '0' }, /^FUNC_HEADER_TIMEOUT must be a number greater than 0 and at most 3600/);
  assert.equal(settings([], { FUNC_EXECUTORS_MIN: '0' }).executorsMin, 0);
});

test('FUNC_MAX_INFLIGHT and FUNC_LOG_FORMAT, and their flags', () => {
  const s = settings();
  assert.equal(s.maxInflight, 0);
  assert.equal(s.logFormat, 'apache');
  assert.equal(settings([], { FUNC_MAX_INFLIGHT: '' }).maxInflight, 0);
  assert.equal(settings([], { FUNC_MAX_INFLIGHT: '1000000' }).maxInflight, 1_000_000);
  assert.equal(settings(['--max-inflight', '3'], { FUNC_MAX_INFLIGHT: '7' }).maxInflight, 3);
  for (const value of ['-1', 'two', '1.5', '1000001']) {
    refused([], { FUNC_MAX_INFLIGHT: value }, /^FUNC_MAX_INFLIGHT must be an integer at least 0 and at most 1000000, got /);
  }
  refused(['--max-inflight', '-1'], {}, /^--max-inflight must be an integer at least 0 and at most 1000000, got "-1"$/);
  assert.equal(settings([], { FUNC_LOG_FORMAT: 'JSON' }).logFormat, 'json');
  assert.equal(settings(['--log-format', 'apache'], { FUNC_LOG_FORMAT: 'json' }).logFormat, 'apache');
  refused([], { FUNC_LOG_FORMAT: 'xml' }, /^FUNC_LOG_FORMAT must be apache or json, got "xml"$/);
  refused(['--log-format', 'text'], {}, /^--log-format must be apache or json/);
});
