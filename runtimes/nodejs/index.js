#!/usr/bin/env node
'use strict';
// Entry point: `node runtimes/nodejs --from-file PATH --handler MODULE.FUNCTION` (CLI mode) or
// `node runtimes/nodejs` with MOD_NAME/FUNC_HANDLER set (container mode). The first process is the
// supervisor; it forks the worker that loads the function and serves it (README "Processes").

const cluster = require('node:cluster');

function main() {
  if (cluster.isWorker) {
    require('./lib/worker').runWorker();
    return;
  }
  const { loadSettings, UsageError, USAGE } = require('./lib/settings');
  const { locateSource, LoadError } = require('./lib/source');
  let settings;
  try {
    settings = loadSettings();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message} (see --help)\n`);
    process.exit(2);
  }
  if (settings.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // From here on every message follows FUNC_LOG_FORMAT (a settings error above stays a plain line).
  const logFormat = require('./lib/log-format');
  logFormat.configure(settings.logFormat);
  let source;
  try {
    source = locateSource(settings);
  } catch (err) {
    if (!(err instanceof LoadError)) throw err;
    const shownAs = settings.fromFile ?? `${settings.funcDir}/${settings.moduleName}.js`;
    logFormat.message(`error: cannot load handler ${settings.handlerName} from ${shownAs}: ${err.message}`);
    process.exit(1);
  }
  require('./lib/supervisor').runSupervisor({ settings, source });
}

main();
