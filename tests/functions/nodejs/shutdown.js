'use strict';
// A slow call to drain at shutdown (`x-seconds` header).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports.slow = async (event) => {
  const seconds = Number(event.extensions.request.headers['x-seconds'] || '1.5');
  await sleep(1000 * seconds);
  return `done after ${seconds}`;
};

// A function with its own SIGTERM listener (flushing a client, say): it must run at shutdown.
process.on('SIGTERM', () => {
  process.stdout.write('FUNCTION SIGTERM LISTENER RAN\n');
});

module.exports.with_listener = async (event) => {
  const seconds = Number(event.extensions.request.headers['x-seconds'] || '0');
  if (seconds > 0) await sleep(1000 * seconds);
  return 'listening';
};
