'use strict';
// FUNC_SIGNATURE=knative: a faas-js function object's lifecycle hooks (nodeshift/faas-js-runtime
// README "Function", index.js): `init()` before the server starts, `shutdown()` when the process
// ends, and `liveness` / `readiness`, Fastify route handlers `(request, reply)` served at
// `/health/liveness` and `/health/readiness` (the paths `func deploy` probes: knative/func
// pkg/k8s/deployer.go). Here `init` / `shutdown` run in the process that runs the calls (the
// worker; in call isolation each executor), awaited; the hooks decide `/healthz` and `/readyz`
// and the two Knative paths (worker isolation: in call isolation the worker runs no function code).
// A hook that answers a status outside 2xx, answers `false`, or throws is "not": `503`.

const { TEXT } = require('../responses');

/** The hooks of the module's object, or null when it has none. */
function hooksOf(target) {
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return null;
  const pick = (name) => (typeof target[name] === 'function' ? target[name].bind(target) : null);
  const hooks = { init: pick('init'), shutdown: pick('shutdown'), liveness: pick('liveness'), readiness: pick('readiness') };
  return Object.values(hooks).some((hook) => hook !== null) ? hooks : null;
}

/** Runs `init()` (awaited). Throws what it throws: the caller reports a start-up failure. */
async function start(hooks) {
  if (hooks?.init) await hooks.init();
}

let stopped = false;

/** Runs `shutdown()` once (awaited); an error is logged, never thrown. */
async function stop(hooks, logLine) {
  if (stopped || !hooks?.shutdown) return;
  stopped = true;
  try {
    await hooks.shutdown();
  } catch (err) {
    logLine(`error: the function's shutdown() failed: ${err?.stack ?? err}`);
  }
}

/** The little of Fastify's reply a health check uses: code/status, header(s), type, send. */
class Reply {
  constructor() {
    this.statusCode = 200;
    this.payload = undefined;
    this.sent = false;
  }

  code(status) { this.statusCode = status; return this; }

  status(status) { return this.code(status); }

  header() { return this; }

  headers() { return this; }

  type() { return this; }

  send(payload) { this.payload = payload; this.sent = true; return this; }
}

/** Runs a health hook: resolves to null (healthy) or the reason it is not. */
async function check(hook, name, req, logLine) {
  const reply = new Reply();
  let value;
  try {
    value = await hook(req, reply);
  } catch (err) {
    logLine(`error: the function's ${name} failed: ${err?.stack ?? err}`);
    return `${name} threw ${err?.message ?? err}`;
  }
  const payload = reply.sent ? reply.payload : value;
  const status = Number(reply.statusCode);
  if (status >= 200 && status < 300 && payload !== false) return null;
  const text = typeof payload === 'string' && payload !== '' ? payload.split('\n')[0] : `${name} answered ${payload === false ? 'false' : status}`;
  return text;
}

/**
 * A probe for the worker (probes.js's shape: `(req, res, url)` → handled?): the Knative paths
 * are the runtime's `/healthz` and `/readyz`, and with `hooks` (worker isolation) their answer.
 */
function knativeProbe(probe, hooks, logLine) {
  const liveness = hooks?.liveness ?? null;
  const readiness = hooks?.readiness ?? null;
  return function knative(req, res, url) {
    const path = url.split('?')[0];
    const which = path === '/healthz' || path === '/health/liveness' ? 'live'
      : path === '/readyz' || path === '/health/readiness' ? 'ready' : null;
    if (which === null) return probe(req, res, url);
    const own = which === 'live' ? '/healthz' : '/readyz';
    const hook = which === 'live' ? liveness : readiness;
    if (hook === null) return probe(req, res, own);
    check(hook, which === 'live' ? 'liveness()' : 'readiness()', req, logLine).then((reason) => {
      if (reason === null) {
        probe(req, res, own);
        return;
      }
      const body = `Not ${which === 'live' ? 'Alive' : 'Ready'}: ${reason}`;
      res.writeHead(503, ['Content-Type', TEXT, 'Content-Length', String(Buffer.byteLength(body))]);
      res.end(body);
    });
    return true;
  };
}

module.exports = { hooksOf, start, stop, knativeProbe };
