'use strict';
// `answer` / `answer_async`: results at the edge of what HTTP can carry (shared decisions 10, 12).
// The `x-case` header names the case; every case has a twin in ../python/edges.py.

const CASES = {
  // the function's own Access-Control-Allow-Origin wins over the runtime's CORS header
  own_cors: (res) => { res.set('Access-Control-Allow-Origin', 'https://mine.example'); return 'mine'; },
  // results the runtime cannot send: 500, logged as the runtime's conversion
  header_value_crlf: (res) => { res.set('X-Bad', 'a\r\nInjected: yes'); return 'x'; },
  header_name_space: (res) => { res.set('Bad Name', 'x'); return 'x'; },
  bad_status: (res) => { res.status(9999); return 'x'; },
  unsendable: () => 1n,
  ok: () => 'ok',
};

function answer(event) {
  const req = event.extensions.request;
  return CASES[req.headers['x-case'] || 'ok'](event.extensions.response);
}

async function answer_async(event) {
  await new Promise((resolve) => setImmediate(resolve));
  return answer(event);
}

module.exports = { answer, answer_async };
