'use strict';
// Readiness, back-pressure, JSON logs and trace context (CONTRACT §2, §4, §5, §7).
// `x-token` names a call's lines; `x-seconds` holds it open; `x-lines` sets how many lines it prints.

const TRACE_KEYS = ['trace-id', 'span-id', 'parent-span-id', 'trace-flags', 'traceparent', 'tracestate'];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const header = (event, name, fallback = '') => event.extensions.request.headers[name] || fallback;
const trace = (context) => JSON.stringify(Object.fromEntries(TRACE_KEYS.map((key) => [key, context[key]])));

console.log('loaded k8s'); // written while loading: outside any call

module.exports.context = async (event, context) => trace(context);

module.exports.hold = async (event) => {
  console.log('ran ' + header(event, 'x-token'));
  await sleep(1000 * Number(header(event, 'x-seconds', '0')));
  return 'done';
};

module.exports.chatty = async (event, context) => {
  const token = header(event, 'x-token');
  const lines = Number(header(event, 'x-lines', '3'));
  for (let i = 0; i < lines; i += 1) {
    console.log(`${token} line ${i}`);
    await sleep(2);
  }
  process.stdout.write(`${token} part-`);
  process.stdout.write('ial\n');
  process.stderr.write(`${token} to stderr\n`);
  console.warn(`${token} warned`);
  console.debug(`${token} debugged`);
  console.error(`${token} errored`);
  process.stdout.write(`${token} tail`); // no newline: written as a record when the call ends
  return trace(context);
};

module.exports.raises = async (event) => {
  throw new Error('boom ' + header(event, 'x-token'));
};
