'use strict';
// Prints a token to stdout and stderr, then keeps the call open (`x-token`, `x-seconds`).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports.printer = async (event) => {
  const req = event.extensions.request;
  const token = req.headers['x-token'] || '';
  console.log('STDOUT ' + token);
  console.error('STDERR ' + token);
  await sleep(1000 * Number(req.headers['x-seconds'] || '0'));
  return 'printed ' + token;
};
