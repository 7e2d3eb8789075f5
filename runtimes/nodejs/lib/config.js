'use strict';
// Settings: CLI flags over the Kubeless environment variables (CONTRACT §1), read and checked once
// at start-up so that the request path only reads plain fields.

const { parseArgs } = require('node:util');

const USAGE = `usage: node runtimes/nodejs --from-file PATH --handler MODULE.FUNCTION [--port N] [--host H] [--timeout S]

Serves MODULE.FUNCTION over HTTP (Kubeless runtime contract).
Without --from-file the function is $KUBELESS_FUNC_DIR/$MOD_NAME.{js,mjs,cjs} (container mode),
with MOD_NAME and FUNC_HANDLER from the environment.

  --from-file PATH   a .js/.mjs/.cjs file, a folder holding MODULE.js, or a .zip of such a folder
  --handler M.F      module and function name (split at the last dot)
  --port N           TCP port (FUNC_PORT, default 8080)
  --host H           address to listen on (FUNC_HOST, default 0.0.0.0)
  --timeout S        seconds a call may run (FUNC_TIMEOUT, default 180)
  -h, --help         print this help

Other settings come from the environment: FUNC_RUNTIME, FUNC_MEMORY_LIMIT, FUNC_MEMFILE_MAX,
REQ_MB_LIMIT, FUNC_GRACE_PERIOD, FUNC_CORS_ORIGINS, FUNC_ACCESS_LOG, KUBELESS_INSTALL_VOLUME.`;

/** A bad flag or setting: the runtime exits 2 with the message (CONTRACT §1.3). */
class UsageError extends Error {}

function number(name, raw, { min = 0, integer = false, max = Infinity } = {}) {
  const text = String(raw).trim();
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    throw new UsageError(`${name} must be ${kind} >= ${min}${max !== Infinity ? ` and <= ${max}` : ''}, got ${JSON.stringify(String(raw))}`);
  }
  return value;
}

function parseCors(raw) {
  const text = (raw ?? '*').trim();
  if (text === '' || text === '*') return { mode: 'any', origins: null };
  if (text.toLowerCase() === 'off') return { mode: 'off', origins: null };
  const origins = new Set(text.split(',').map((o) => o.trim()).filter(Boolean));
  if (origins.has('*')) return { mode: 'any', origins: null };
  return { mode: 'list', origins };
}

function parseSwitch(name, raw, fallback) {
  if (raw === undefined || raw === '') return fallback;
  const text = raw.trim().toLowerCase();
  if (['on', '1', 'true', 'yes'].includes(text)) return true;
  if (['off', '0', 'false', 'no'].includes(text)) return false;
  throw new UsageError(`${name} must be on or off, got ${JSON.stringify(raw)}`);
}

function bodyLimit(env) {
  if (env.FUNC_MEMFILE_MAX !== undefined && env.FUNC_MEMFILE_MAX !== '') {
    return number('FUNC_MEMFILE_MAX', env.FUNC_MEMFILE_MAX, { integer: true });
  }
  if (env.REQ_MB_LIMIT !== undefined && env.REQ_MB_LIMIT !== '') {
    return Math.floor(number('REQ_MB_LIMIT', env.REQ_MB_LIMIT) * 1_000_000);
  }
  return 1_000_000;
}

/**
 * Reads argv and env into one frozen settings object.
 * Returns `{help: true}` for --help; throws UsageError for anything invalid.
 */
function loadConfig(argv = process.argv.slice(2), env = process.env) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'from-file': { type: 'string' },
        handler: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(err.message.split('\n')[0]);
  }
  if (parsed.help) return { help: true };

  const fromFile = parsed['from-file'];
  let moduleName;
  let functionName;
  if (parsed.handler !== undefined) {
    const handler = parsed.handler.trim();
    const dot = handler.lastIndexOf('.');
    if (dot <= 0 || dot === handler.length - 1) {
      throw new UsageError(`--handler must be MODULE.FUNCTION, got ${JSON.stringify(parsed.handler)}`);
    }
    moduleName = handler.slice(0, dot);
    functionName = handler.slice(dot + 1);
  } else if (fromFile !== undefined) {
    throw new UsageError('--handler MODULE.FUNCTION is required with --from-file');
  } else {
    moduleName = (env.MOD_NAME || '').trim();
    functionName = (env.FUNC_HANDLER || '').trim();
    if (!moduleName) throw new UsageError('MOD_NAME is not set (or pass --from-file and --handler)');
    if (!functionName) throw new UsageError('FUNC_HANDLER is not set (or pass --from-file and --handler)');
  }
  if (/[/\\]/.test(moduleName) || moduleName === '.' || moduleName === '..') {
    throw new UsageError(`the module name must be a plain name, got ${JSON.stringify(moduleName)}`);
  }

  const timeoutName = parsed.timeout !== undefined ? '--timeout' : 'FUNC_TIMEOUT';
  const timeout = number(timeoutName, parsed.timeout ?? env.FUNC_TIMEOUT ?? '180');
  if (timeout <= 0) throw new UsageError(`${timeoutName} must be > 0, got ${timeout}`);
  const memoryLimit = env.FUNC_MEMORY_LIMIT;

  return Object.freeze({
    help: false,
    fromFile,
    funcDir: env.KUBELESS_FUNC_DIR || '/kubeless',
    moduleName,
    functionName,
    handlerName: `${moduleName}.${functionName}`,
    port: number(parsed.port !== undefined ? '--port' : 'FUNC_PORT', parsed.port ?? env.FUNC_PORT ?? '8080', { integer: true, max: 65535 }),
    host: parsed.host ?? env.FUNC_HOST ?? '0.0.0.0',
    timeout,
    runtime: env.FUNC_RUNTIME || `nodejs${process.versions.node.split('.')[0]}`,
    memoryLimit: memoryLimit === undefined || memoryLimit === '' ? null : memoryLimit,
    bodyLimit: bodyLimit(env),
    gracePeriod: number('FUNC_GRACE_PERIOD', env.FUNC_GRACE_PERIOD ?? '25'),
    cors: parseCors(env.FUNC_CORS_ORIGINS),
    accessLog: parseSwitch('FUNC_ACCESS_LOG', env.FUNC_ACCESS_LOG, true),
    installVolume: env.KUBELESS_INSTALL_VOLUME || null,
  });
}

module.exports = { loadConfig, UsageError, USAGE };
