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
  const { loadConfig, UsageError, USAGE } = require('./lib/config');
  const { locateSource, LoadError } = require('./lib/source');
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n${USAGE.split('\n')[0]}\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let source;
  try {
    source = locateSource(config);
  } catch (err) {
    if (!(err instanceof LoadError)) throw err;
    const shownAs = config.fromFile ?? `${config.funcDir}/${config.moduleName}.js`;
    process.stderr.write(`error: cannot load handler ${config.handlerName} from ${shownAs}: ${err.message}\n`);
    process.exit(1);
  }
  require('./lib/supervisor').runSupervisor({ config, source });
}

main();
