'use strict';
// Prometheus metrics of CONTRACT §6 on a private prom-client registry, with its default process
// metrics. A call only bumps plain numbers of its method's record; prom-client reads them when
// /metrics is scraped. (prom-client's own inc()/observe() validate and hash the labels on every
// call: measured here at 2.5–3 µs per request, an eighth of a whole request's cost.)

const client = require('prom-client');

// prometheus_client's (Python) default buckets: both runtimes expose the same series.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const LE = [...BUCKETS.map(String), '+Inf'];

/** The counts of one HTTP method. */
class MethodStats {
  constructor(method) {
    this.method = method;
    this.calls = 0;
    this.failures = 0;
    this.timeouts = 0;
    this.buckets = new Float64Array(BUCKETS.length + 1); // per bucket, not cumulative; last is +Inf
    this.sum = 0;
    this.reported = { calls: 0, failures: 0, timeouts: 0 };
  }

  observe(seconds) {
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]) i += 1;
    this.buckets[i] += 1;
    this.sum += seconds;
  }
}

/**
 * `function_duration_seconds` as prom-client's registry reads a metric (`get()` resolving to
 * name, help, type and values, as its own Histogram does), over the MethodStats records.
 */
class DurationHistogram {
  constructor(name, help, stats) {
    this.name = name;
    this.help = help;
    this.type = 'histogram';
    this.aggregator = 'sum';
    this.stats = stats;
  }

  async get() {
    const values = [];
    for (const s of this.stats.values()) {
      let cumulative = 0;
      for (let i = 0; i < LE.length; i += 1) {
        cumulative += s.buckets[i];
        values.push({ labels: { le: LE[i], method: s.method }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { method: s.method }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { method: s.method }, value: cumulative, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset() {
    for (const s of this.stats.values()) {
      s.buckets.fill(0);
      s.sum = 0;
    }
  }
}

/** Builds the registry; `running()` (calls in flight) is read only when /metrics is scraped. */
function createMetrics(running) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const stats = new Map();
  const registers = [registry];
  const labelNames = ['method'];

  /** A prom-client counter that takes what the records gathered since the last scrape. */
  function counter(name, help, field) {
    return new client.Counter({
      name, help, labelNames, registers,
      collect() {
        for (const s of stats.values()) {
          const delta = s[field] - s.reported[field];
          if (delta > 0) {
            this.inc({ method: s.method }, delta);
            s.reported[field] = s[field];
          }
        }
      },
    });
  }
  counter('function_calls_total', 'Number of calls of the function', 'calls');
  counter('function_failures_total', 'Number of calls that threw, rejected or timed out', 'failures');
  counter('function_timeouts_total', 'Number of calls that timed out', 'timeouts');
  registry.registerMetric(new DurationHistogram('function_duration_seconds', 'Time from the call of the function to its end', stats));
  new client.Gauge({
    name: 'function_calls_in_flight', help: 'Calls of the function running now', registers,
    collect() { this.set(running()); },
  });

  /** The record of one HTTP method (Node's parser bounds the set of methods). */
  function forMethod(method) {
    let s = stats.get(method);
    if (s === undefined) {
      s = new MethodStats(method);
      stats.set(method, s);
    }
    return s;
  }

  /** `[contentType, text]` of a scrape. */
  async function text() {
    return [registry.contentType, await registry.metrics()];
  }

  return { registry, forMethod, text };
}

module.exports = { createMetrics };
