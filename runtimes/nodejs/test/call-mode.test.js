'use strict';
// Call isolation through the whole runtime: start-up failures of executors end the runtime the
// way a worker's do (CONTRACT §1.3, shared decision 16).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startFails, FUNCTIONS } = require('./support');

test('a module that cannot load: exit 1 with the start-up error, nothing served', async () => {
  const { code, stderr } = await startFails(['--from-file', path.join(FUNCTIONS, 'no-such.js'), '--handler', 'no-such.main',
    '--port', '0', '--isolation', 'call']);
  assert.equal(code, 1);
  assert.match(stderr, /^error: cannot load handler no-such\.main from .*no-such\.js: /m);
  assert.doesNotMatch(stderr, /serving/);
});

test('executors that keep dying before a call was served: back-off, then exit 1 with one error line', async () => {
  const started = Date.now();
  const { code, stderr } = await startFails(['--from-file', path.join(FUNCTIONS, 'executor-exits.js'),
    '--handler', 'executor-exits.main', '--port', '0', '--isolation', 'call']);
  assert.equal(code, 1);
  const errors = stderr.split('\n').filter((line) => line.startsWith('error:'));
  assert.deepEqual(errors, ["error: the function's executor died 5 times in a row before the first call was served "
    + '(last: exited with code 4): giving up']);
  assert.ok(Date.now() - started >= 1500, 'restarts back off');
});
