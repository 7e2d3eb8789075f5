'use strict';
// A worker process: loads the function once, serves it, and drains when the supervisor says so
// (on SIGTERM/SIGINT, or when it replaces this worker).

const { loadConfig, UsageError } = require('./config');
const { loadHandler } = require('./loader');
const { LoadError } = require('./source');
const { createServer } = require('./server');
const { startWatchdog, stopWatchdog } = require('./watchdog');
const { flushNow } = require('./accesslog');

/** File descriptor of the pipe to the supervisor (stdio slot 4, see supervisor.js). */
const CHANNEL_FD = 4;

function startupError(config, shownAs, err) {
  const code = err instanceof UsageError ? 2 : 1;
  let text = `error: cannot load handler ${config.handlerName} from ${shownAs}: ${err.message}\n`;
  if (err.showStack && err.cause) text += `${err.cause?.stack ?? err.cause}\n`;
  process.stderr.write(text);
  process.exit(code);
}

async function runWorker() {
  const config = loadConfig();
  const file = process.env.KUBELESS_RUNTIME_FILE;
  const shownAs = process.env.KUBELESS_RUNTIME_SHOWN_AS || file;
  delete process.env.KUBELESS_RUNTIME_FILE;
  delete process.env.KUBELESS_RUNTIME_SHOWN_AS;

  // The function owns uncaught errors of its own timers and promises: log them, keep serving.
  process.on('uncaughtException', (err) => {
    process.stderr.write(`error: uncaught exception: ${err?.stack ?? err}\n`);
  });
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`error: unhandled promise rejection: ${reason?.stack ?? reason}\n`);
  });
  // The supervisor turns signals into 'drain' messages (a terminal's Ctrl-C reaches both).
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});

  let handler;
  try {
    handler = await loadHandler(file, config.functionName, config.installVolume);
  } catch (err) {
    if (err instanceof LoadError) startupError(config, shownAs, err);
    startupError(config, shownAs, new LoadError(`${err?.message ?? err}`, { cause: err, showStack: true }));
  }

  const { server, drain, earliestDeadline, timeoutMs } = createServer(config, handler);
  server.on('error', (err) => {
    process.stderr.write(`error: cannot listen on ${config.host}:${config.port}: ${err.message}\n`);
    process.exit(1);
  });

  let leaving = false;
  async function leave(graceMs) {
    if (leaving) return;
    leaving = true;
    if (process.connected) process.send({ type: 'draining' }, () => {});
    const left = await drain(graceMs);
    if (left > 0) process.stderr.write(`warning: ${left} call(s) still running after the grace period were cut\n`);
    stopWatchdog();
    flushNow();
    process.exit(0);
  }
  process.on('message', (message) => {
    if (message?.type === 'drain') leave(config.gracePeriod * 1000);
  });
  // The supervisor is gone: nobody will ask again.
  process.on('disconnect', () => leave(config.gracePeriod * 1000));

  server.listen(config.port, config.host, () => {
    startWatchdog({ timeoutMs, earliestDeadline, channelFd: CHANNEL_FD });
  });
}

module.exports = { runWorker };
