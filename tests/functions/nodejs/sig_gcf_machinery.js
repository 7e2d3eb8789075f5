'use strict';
// FUNC_SIGNATURE=gcf: the machinery cases' functions (SHARED-DECISIONS-11b "Tests"), HTTP
// functions of the Functions Framework, exported (FUNC_HANDLER names the export).

// 200 `hello` as Express's res.send answers a string: text/html; charset=utf-8.
exports.hello = (req, res) => {
  res.send('hello');
};

// Answers after 3 s without blocking the event loop (the case's 1 s timeout answers 408 first).
exports.slow = (req, res) => {
  setTimeout(() => res.send('slow'), 3000);
};

exports.boom = () => {
  throw new Error('boom');
};
