'use strict';
// Prometheus metrics of CONTRACT §6, with prom-client's public API.
//
// Each worker counts its own calls in a registry of its own (`function_*`), next to prom-client's
// default process metrics. Counts must survive a worker that is replaced or dies, so a worker
// hands the supervisor a snapshot of its function metrics (`getMetricsAsJSON`) shortly after
// calls end, at each scrape and when it exits; the supervisor keeps the last snapshot of every
// worker, folds those of dead workers into a "retired" snapshot (snapshots.js), and adds the calls
// lost with a worker (supervisor.js). A scrape shows retired + the other live workers + this
// worker, summed with prom-client's cluster aggregation (`AggregatorRegistry.aggregate`):
// counters never go down.
//
// Per call the cost is two or three updates of label-bound children (`counter.labels('GET')`,
// measured at 0.1–0.3 µs each).

const client = require('prom-client');
const { message } = require('./log-format');

// prometheus_client's (Python) default buckets: both runtimes expose the same series.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const IN_FLIGHT = 'function_calls_in_flight';

/** The function metrics' definitions. */
function defineFunctionMetrics(registers) {
  const labelNames = ['method'];
  return {
    calls: new client.Counter({ name: 'function_calls_total', help: 'Number of calls of the function', labelNames, registers }),
    failures: new client.Counter({ name: 'function_failures_total', help: 'Number of calls that threw, rejected, timed out or were lost', labelNames, registers }),
    timeouts: new client.Counter({ name: 'function_timeouts_total', help: 'Number of calls that timed out', labelNames, registers }),
    duration: new client.Histogram({ name: 'function_duration_seconds', help: 'Time from the call of the function to its end', labelNames, buckets: BUCKETS, registers }),
    rejected: new client.Counter({ name: 'function_calls_rejected_total', help: 'Requests answered 429 at the in-flight limit (FUNC_MAX_INFLIGHT)', labelNames, registers }),
    queue: new client.Histogram({ name: 'function_queue_seconds', help: 'Time from a request\'s arrival to the start of its call of the function', buckets: BUCKETS, registers }),
  };
}

/**
 * A worker's metrics. `running()` (calls in flight) is read when /metrics is scraped;
 * `exchange(snapshot)` hands this worker's snapshot to the supervisor and resolves with the
 * snapshots of the others (retired and live), or [] without a supervisor.
 */
function createMetrics(running, exchange = async () => []) {
  const functionRegistry = new client.Registry();
  const defaults = new client.Registry();
  client.collectDefaultMetrics({ register: defaults });
  const m = defineFunctionMetrics([functionRegistry]);
  const inFlight = new client.Gauge({
    name: IN_FLIGHT, help: 'Calls of the function running now', registers: [defaults],
    collect() { this.set(running()); },
  });
  // Set once per runtime (the supervisor hands a replacement worker the same value): per worker,
  // so not summed with the others' snapshots.
  let startupSeconds = null;
  const startup = new client.Gauge({
    name: 'function_startup_seconds', help: 'Seconds from the runtime process\'s start to ready (listening and able to take a call)', registers: [defaults],
    collect() { if (startupSeconds !== null) this.set(startupSeconds); },
  });
  const methods = new Map();

  /** The label-bound children of one HTTP method (Node's parser bounds the set of methods). */
  function forMethod(method) {
    let children = methods.get(method);
    if (children === undefined) {
      children = {
        calls: m.calls.labels(method),
        failures: m.failures.labels(method),
        timeouts: m.timeouts.labels(method),
        duration: m.duration.labels(method),
        rejected: m.rejected.labels(method),
      };
      methods.set(method, children);
    }
    return children;
  }

  /** This worker's function metrics, as prom-client's JSON form. */
  function snapshot() {
    return functionRegistry.getMetricsAsJSON();
  }

  /** `[contentType, text]` of a scrape: every worker's function metrics, this one's process metrics. */
  async function text() {
    const own = await snapshot();
    let others = [];
    try {
      others = await exchange(own);
    } catch (err) {
      message(`warning: metrics of other workers unavailable: ${err?.message ?? err}`, 'WARN');
    }
    const merged = others.length === 0 ? functionRegistry : client.AggregatorRegistry.aggregate([own, ...others]);
    const all = client.Registry.merge([merged, defaults]);
    return [all.contentType, await all.metrics()];
  }

  void inFlight;
  void startup;
  return {
    forMethod,
    snapshot,
    text,
    /** The time from a request's arrival to its function's start, in seconds. */
    queued(seconds) {
      m.queue.observe(seconds);
    },
    setStartup(seconds) {
      startupSeconds ??= seconds;
    },
  };
}

module.exports = { createMetrics };
