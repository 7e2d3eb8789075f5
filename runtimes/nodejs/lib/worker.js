'use strict';
// A worker process: loads the function once, serves it, and drains when the supervisor says so
// (on SIGTERM/SIGINT, or when it replaces this worker).

const { loadSettings, UsageError } = require('./settings');
const { loadHandler } = require('./loader');
const { LoadError } = require('./source');
const { createApp } = require('./app');
const { createInvoker } = require('./invoker');
const { createServer } = require('./server');
const { rawAnswer, TIMEOUT_BODY } = require('./responses');
const { startWatchdog, stopWatchdog } = require('./watchdog');
const { flushNow } = require('./accesslog');

/** File descriptor of the pipe to the supervisor (stdio slot 4, see supervisor.js). */
const CHANNEL_FD = 4;

function startupError(settings, shownAs, err) {
  const code = err instanceof UsageError ? 2 : 1;
  let text = `error: cannot load handler ${settings.handlerName} from ${shownAs}: ${err.message}\n`;
  if (err.showStack && err.cause) text += `${err.cause?.stack ?? err.cause}\n`;
  process.stderr.write(text);
  process.exit(code);
}

async function runWorker() {
  const settings = loadSettings();
  const file = process.env.KUBELESS_RUNTIME_FILE;
  const shownAs = process.env.KUBELESS_RUNTIME_SHOWN_AS || file;
  delete process.env.KUBELESS_RUNTIME_FILE;
  delete process.env.KUBELESS_RUNTIME_SHOWN_AS;

  let app = null;
  // An error thrown in a function's own callback (a timer, a promise it did not return) fails the
  // call it belongs to; one outside any call is logged and the worker keeps serving.
  process.on('uncaughtException', (err) => {
    if (app?.failCurrent(err) === undefined) process.stderr.write(`error: uncaught exception: ${err?.stack ?? err}\n`);
  });
  process.on('unhandledRejection', (reason) => {
    if (app?.failCurrent(reason) === undefined) process.stderr.write(`error: unhandled promise rejection: ${reason?.stack ?? reason}\n`);
  });
  // The supervisor turns signals into 'drain' messages (a terminal's Ctrl-C reaches both).
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});

  let handler;
  try {
    handler = await loadHandler(file, settings.functionName, settings.installVolume);
  } catch (err) {
    if (err instanceof LoadError) startupError(settings, shownAs, err);
    startupError(settings, shownAs, new LoadError(`${err?.message ?? err}`, { cause: err, showStack: true }));
  }

  app = createApp(settings, (outcome) => createInvoker(handler, outcome));
  const { server, drain } = createServer(settings, app);
  server.on('error', (err) => {
    process.stderr.write(`error: cannot listen on ${settings.host}:${settings.port}: ${err.message}\n`);
    process.exit(1);
  });

  let leaving = false;
  async function leave(graceMs) {
    if (leaving) return;
    leaving = true;
    if (process.connected) process.send({ type: 'draining' }, () => {});
    const left = await drain(graceMs);
    if (left > 0) app.endRemaining();
    server.closeAllConnections();
    stopWatchdog();
    flushNow();
    process.exit(0);
  }
  process.on('message', (message) => {
    if (message?.type === 'drain') leave(settings.gracePeriod * 1000);
  });
  // The supervisor is gone: nobody will ask again.
  process.on('disconnect', () => leave(settings.gracePeriod * 1000));

  const timeoutResponse = rawAnswer(408, TIMEOUT_BODY, settings.cors.mode === 'any' ? ['Access-Control-Allow-Origin: *'] : []);
  server.listen(settings.port, settings.host, () => {
    startWatchdog({ timeoutMs: app.timeoutMs, earliestDeadline: app.earliestDeadline, channelFd: CHANNEL_FD, timeoutResponse });
  });
}

module.exports = { runWorker };
