'use strict';
// Settings: CLI flags over the Kubeless environment variables (CONTRACT §1), read and checked once
// at start-up so that the request path only reads plain fields.

const { parseArgs } = require('node:util');
const { SIGNATURES } = require('./signatures');

const USAGE = `usage: node runtimes/nodejs --from-file PATH --handler MODULE.FUNCTION [--port N] [--host H] [--timeout S] [--isolation MODE]
                      [--max-inflight N] [--log-format FORMAT] [--signature NAME]

Serves MODULE.FUNCTION over HTTP (Kubeless runtime contract).
Without --from-file the function is $KUBELESS_FUNC_DIR/$MOD_NAME.{js,mjs,cjs} (container mode),
with MOD_NAME and FUNC_HANDLER from the environment.

  --from-file PATH   a .js/.mjs/.cjs file, a folder holding MODULE.js, or a .zip of such a folder
  --handler M.F      module and function name (split at the last dot)
  --port N           TCP port (FUNC_PORT, default 8080)
  --host H           address to listen on (FUNC_HOST, default 0.0.0.0)
  --timeout S        seconds a call may run (FUNC_TIMEOUT, default 180, at most 86400)
  --isolation MODE   worker (default; auto means worker), or call: each call in an executor
                     process of its own (FUNC_ISOLATION)
  --max-inflight N   requests to the function in flight at most; more are answered 429
                     (FUNC_MAX_INFLIGHT, default 0: no limit)
  --log-format F     apache (default): access log and function output as they are;
                     json: one JSON record per line on stdout (FUNC_LOG_FORMAT)
  --signature NAME   how the function is called: kubeless (default: handler(event, context)),
                     lambda, lambda-v1, openwhisk, openfaas, knative, gcf, fission (FUNC_SIGNATURE)
  -h, --help         print this help

Other settings come from the environment: FUNC_RUNTIME, FUNC_MEMORY_LIMIT, FUNC_MEMFILE_MAX,
REQ_MB_LIMIT, FUNC_GRACE_PERIOD, FUNC_CORS_ORIGINS, FUNC_ACCESS_LOG, FUNC_MAX_HEADER_SIZE,
FUNC_HEADER_TIMEOUT, FUNC_CONCURRENCY, FUNC_EXECUTORS_MIN, FUNC_EXECUTOR_IDLE, KUBELESS_INSTALL_VOLUME.`;

/** Options that take a value: a value starting with '-' (`--timeout -1`) is still their value. */
const VALUE_FLAGS = new Set(['--from-file', '--handler', '--port', '--host', '--timeout', '--isolation', '--max-inflight', '--log-format', '--signature']);
const ISOLATION_MODES = ['auto', 'call', 'worker'];
const LOG_FORMATS = ['apache', 'json'];

/** A bad flag or setting: the runtime exits 2 with the message (CONTRACT §1.3). */
class UsageError extends Error {}

/**
 * A number within [min, max]; `above` makes the lower bound exclusive ("greater than 0").
 * Every bound is written into the message, so the one line names the variable and its range.
 */
function number(name, raw, { min = 0, above = false, integer = false, max = Infinity } = {}) {
  const text = String(raw).trim();
  const value = Number(text);
  const valid = text !== '' && Number.isFinite(value) && (!integer || Number.isInteger(value))
    && (above ? value > min : value >= min) && value <= max;
  if (!valid) {
    const kind = integer ? 'an integer' : 'a number';
    const lower = above ? `greater than ${min}` : `at least ${min}`;
    throw new UsageError(`${name} must be ${kind} ${lower}${max !== Infinity ? ` and at most ${max}` : ''}, got ${JSON.stringify(String(raw))}`);
  }
  return value;
}

/** `--timeout -1` → `--timeout=-1`, so that parseArgs takes a negative value as the flag's value. */
function joinValues(argv) {
  const out = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (VALUE_FLAGS.has(argv[i]) && i + 1 < argv.length && argv[i + 1].startsWith('-') && argv[i + 1] !== '--') {
      out.push(`${argv[i]}=${argv[i + 1]}`);
      i += 1;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

function isolationMode(name, raw) {
  const text = String(raw).trim().toLowerCase();
  if (!ISOLATION_MODES.includes(text)) {
    throw new UsageError(`${name} must be one of ${ISOLATION_MODES.join(', ')}, got ${JSON.stringify(String(raw))}`);
  }
  // Node.js runs every function on one event loop: auto is worker (CONTRACT §1).
  return text === 'call' ? 'call' : 'worker';
}

function logFormat(name, raw) {
  const text = String(raw).trim().toLowerCase();
  if (!LOG_FORMATS.includes(text)) {
    throw new UsageError(`${name} must be ${LOG_FORMATS.join(' or ')}, got ${JSON.stringify(String(raw))}`);
  }
  return text;
}

function signatureName(name, raw) {
  const text = String(raw).trim().toLowerCase();
  if (!SIGNATURES.includes(text)) {
    throw new UsageError(`${name} must be one of ${SIGNATURES.join(', ')}, got ${JSON.stringify(String(raw))}`);
  }
  return text;
}

/** The environment's value, or `fallback` when the variable is unset or empty. */
function envValue(env, name, fallback) {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
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
    return number('FUNC_MEMFILE_MAX', env.FUNC_MEMFILE_MAX, { integer: true, max: Number.MAX_SAFE_INTEGER });
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
function loadSettings(argv = process.argv.slice(2), env = process.env) {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinValues(argv),
      options: {
        'from-file': { type: 'string' },
        handler: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        timeout: { type: 'string' },
        isolation: { type: 'string' },
        'max-inflight': { type: 'string' },
        'log-format': { type: 'string' },
        signature: { type: 'string' },
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
  // 86400 s: setTimeout holds at most 2^31-1 ms (24.8 days) and a call of a day is already absurd.
  const timeout = number(timeoutName, parsed.timeout ?? envValue(env, 'FUNC_TIMEOUT', '180'), { above: true, max: 86400 });
  const memoryLimit = env.FUNC_MEMORY_LIMIT;
  const isolation = parsed.isolation !== undefined ? isolationMode('--isolation', parsed.isolation)
    : isolationMode('FUNC_ISOLATION', envValue(env, 'FUNC_ISOLATION', 'worker'));
  const maxInflightName = parsed['max-inflight'] !== undefined ? '--max-inflight' : 'FUNC_MAX_INFLIGHT';
  const maxInflight = number(maxInflightName, parsed['max-inflight'] ?? envValue(env, 'FUNC_MAX_INFLIGHT', '0'), { integer: true, max: 1_000_000 });
  const concurrency = number('FUNC_CONCURRENCY', envValue(env, 'FUNC_CONCURRENCY', '40'), { min: 1, max: 1000, integer: true });

  return Object.freeze({
    help: false,
    fromFile,
    funcDir: env.KUBELESS_FUNC_DIR || '/kubeless',
    moduleName,
    functionName,
    handlerName: `${moduleName}.${functionName}`,
    port: number(parsed.port !== undefined ? '--port' : 'FUNC_PORT', parsed.port ?? envValue(env, 'FUNC_PORT', '8080'), { integer: true, max: 65535 }),
    host: parsed.host ?? env.FUNC_HOST ?? '0.0.0.0',
    timeout,
    runtime: env.FUNC_RUNTIME || `nodejs${process.versions.node.split('.')[0]}`,
    memoryLimit: memoryLimit === undefined || memoryLimit === '' ? null : memoryLimit,
    bodyLimit: bodyLimit(env),
    gracePeriod: number('FUNC_GRACE_PERIOD', envValue(env, 'FUNC_GRACE_PERIOD', '25'), { max: 3600 }),
    maxHeaderSize: number('FUNC_MAX_HEADER_SIZE', envValue(env, 'FUNC_MAX_HEADER_SIZE', '65536'), { min: 1024, max: 1048576, integer: true }),
    headerTimeout: number('FUNC_HEADER_TIMEOUT', envValue(env, 'FUNC_HEADER_TIMEOUT', '10'), { above: true, max: 3600 }),
    isolation,
    concurrency,
    executorsMin: number('FUNC_EXECUTORS_MIN', envValue(env, 'FUNC_EXECUTORS_MIN', '1'), { max: concurrency, integer: true }),
    executorIdle: number('FUNC_EXECUTOR_IDLE', envValue(env, 'FUNC_EXECUTOR_IDLE', '30'), { above: true, max: 86400 }),
    cors: parseCors(env.FUNC_CORS_ORIGINS),
    accessLog: parseSwitch('FUNC_ACCESS_LOG', env.FUNC_ACCESS_LOG, true),
    maxInflight, // 0: no limit
    logFormat: parsed['log-format'] !== undefined ? logFormat('--log-format', parsed['log-format'])
      : logFormat('FUNC_LOG_FORMAT', envValue(env, 'FUNC_LOG_FORMAT', 'apache')),
    installVolume: env.KUBELESS_INSTALL_VOLUME || null,
    signature: parsed.signature !== undefined ? signatureName('--signature', parsed.signature)
      : signatureName('FUNC_SIGNATURE', envValue(env, 'FUNC_SIGNATURE', 'kubeless')),
  });
}

module.exports = { loadSettings, UsageError, USAGE };
