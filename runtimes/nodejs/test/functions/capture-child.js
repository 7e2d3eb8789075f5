'use strict';
// Run by log-format.test.js: the JSON log format in a process of its own (capture.js replaces this
// process's stdout and stderr). Calls are plain objects run in an AsyncLocalStorage, as the
// invoker runs them; argv[2] picks the scenario.

const { AsyncLocalStorage } = require('node:async_hooks');
const logFormat = require('../../lib/log-format');
const { installCapture, endCall } = require('../../lib/capture');

const store = new AsyncLocalStorage();
logFormat.configure('json');
installCapture(() => store.getStore());

function makeCall(eventId, traceId, spanId) {
  return { eventId, trace: { traceId, spanId, flags: '01' }, done: false, output: null };
}

function end(call) {
  call.done = true;
  if (call.output !== null) endCall(call);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const scenarios = {
  async console() {
    const call = makeCall('E1', 'a'.repeat(32), 'b'.repeat(16));
    await store.run(call, async () => {
      console.debug('d');
      console.log('l %d', 1);
      console.info('i');
      console.warn('w');
      console.error('e');
      console.trace('t');
      console.assert(false, 'asserted');
      process.stdout.write('raw out\n');
      process.stderr.write(Buffer.from('raw err\r\n'));
    });
    end(call);
  },
  async partial() {
    const a = makeCall('A', '1'.repeat(32), '2'.repeat(16));
    const b = makeCall('B', '3'.repeat(32), '4'.repeat(16));
    const run = (call, parts) => store.run(call, async () => {
      for (const part of parts) {
        process.stdout.write(part);
        await sleep(5);
      }
    });
    await Promise.all([run(a, ['a1 ', 'a2 ', 'a3\nA-', 'tail']), run(b, ['b1 ', 'b2\n', 'b3 ', 'b4\n'])]);
    store.run(b, () => process.stderr.write('held err'));
    end(a);
    end(b);
    // after its end, a call's output goes out at once, partial or not
    store.run(a, () => process.stdout.write('late'));
    process.stdout.write('outside ');
    process.stdout.write('the calls\nleft at exit');
  },
  async message() {
    logFormat.message('error: event-id=E9: Error: x\n    at y (z.js:1:1)', 'ERROR', makeCall('E9', 'c'.repeat(32), 'd'.repeat(16)));
    logFormat.message('kubeless-runtime: serving', 'INFO');
  },
};

scenarios[process.argv[2]]();
