'use strict';
// A sleeping async function: how many calls run at once (`x-seconds` header, default 1).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports.sleep_async = async (event) => {
  await sleep(1000 * Number(event.extensions.request.headers['x-seconds'] || '1'));
  return 'slept';
};
