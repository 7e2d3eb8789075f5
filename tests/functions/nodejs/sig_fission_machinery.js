'use strict';
// FUNC_SIGNATURE=fission: the machinery cases' functions (SHARED-DECISIONS-11b "Tests"), Fission
// Node.js functions as named exports (Fission's `file.func` entry point).

// {status, body}: server.js answers res.status(200).send('hello'): text/html; charset=utf-8.
exports.hello = async () => ({ status: 200, body: 'hello' });

// Answers after 3 s without blocking the event loop (the case's 1 s timeout answers 408 first).
exports.slow = async (context) => {
  await new Promise((resolve) => setTimeout(resolve, 3000));
  return { status: 200, body: 'slow' };
};

exports.boom = async (context) => {
  throw new Error('boom');
};
