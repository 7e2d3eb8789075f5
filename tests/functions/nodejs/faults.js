'use strict';
// `dispatch` (`x-case` header), Node.js only: results the runtime cannot send, errors in the
// function's own callbacks, a worker that dies under a call, CPU after an await, the context.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const CASES = {
  ok: () => 'ok',
  // (the shared cases of decision 12 are edges.answer)
  bad_status_message: (res) => { res.statusMessage = 'bad\nmsg'; return 'x'; },
  symbol: () => Symbol('s'),
  function: () => () => 1,
  bigint: () => 10n,
  callback_error: () => new Promise((resolve) => setTimeout(() => { JSON.parse('{bad'); resolve('never'); }, 10)),
  callback_rejection: () => {
    setTimeout(() => { Promise.reject(new Error('rejected in a callback')); }, 10);
    return sleep(5000).then(() => 'never');
  },
  exit: () => { setTimeout(() => process.exit(3), 50); return sleep(5000).then(() => 'never'); },
  context: (res, context) => { console.log('CONTEXT', context); return 'logged'; },
  sleep: (res, context, req) => sleep(1000 * Number(req.headers['x-seconds'] || '1')).then(() => 'slept'),
  spin: () => { for (;;) { /* spin */ } },
  // CPU after an await, within its own deadline
  late_cpu: async (res, context, req) => {
    await sleep(10);
    const until = Date.now() + 1000 * Number(req.headers['x-seconds'] || '1');
    while (Date.now() < until) { /* busy */ }
    return 'ran';
  },
  own_cors: (res) => { res.set('Access-Control-Allow-Origin', 'https://mine.example'); return 'mine'; },
};

function dispatch(event, context) {
  const req = event.extensions.request;
  const kase = req.headers['x-case'] || 'ok';
  return CASES[kase](event.extensions.response, context, req);
}

module.exports = { dispatch };
