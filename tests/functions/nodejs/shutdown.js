'use strict';
// A slow call to drain at shutdown (`x-seconds` header).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports.slow = async (event) => {
  const seconds = Number(event.extensions.request.headers['x-seconds'] || '1.5');
  await sleep(1000 * seconds);
  return `done after ${seconds}`;
};
