'use strict';
// `GET /readyz` (shared decisions §1): whether this worker can take a call now, and if not, why.
// Ready (200 `OK`) once the function is loaded and the runtime can run a call; 503 while it cannot
// yet (`Not Ready: starting`: call isolation without an executor able to run one) or while the
// calls in flight have reached FUNC_MAX_INFLIGHT (`Not Ready: at the in-flight limit …`), so that
// Kubernetes sends the next requests to another pod. Draining is not a reason: at SIGTERM the port
// closes (CONTRACT §8), and a terminating pod leaves the Service's endpoints anyway.

const READY = Object.freeze([200, 'OK']);
const STARTING = Object.freeze([503, 'Not Ready: starting']);

/**
 * The /readyz answer of one worker. `canRun()`: the runtime can run a call now (call isolation:
 * an executor is ready, or one can be started for it); `inFlight()`: requests to the function in
 * flight now; `maxInflight`: FUNC_MAX_INFLIGHT (0: no limit). Returns `answer()` → [status, body].
 */
function createReadiness({ canRun = () => true, inFlight, maxInflight }) {
  const atLimit = Object.freeze([503, `Not Ready: at the in-flight limit (FUNC_MAX_INFLIGHT=${maxInflight})`]);
  return function answer() {
    if (!canRun()) return STARTING;
    if (maxInflight !== 0 && inFlight() >= maxInflight) return atLimit;
    return READY;
  };
}

module.exports = { createReadiness };
