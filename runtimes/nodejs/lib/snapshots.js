'use strict';
// Metric snapshots kept by the supervisor for workers that are gone (metrics.js explains why).
// A snapshot is prom-client's documented JSON form (`registry.getMetricsAsJSON()`): the workers
// make them and sum them with prom-client's `AggregatorRegistry.aggregate`. The supervisor only
// folds the snapshots of dead workers into one, so that what it keeps stays small; counters and
// histograms are sums, so folding is adding values of the same series. It does not load
// prom-client itself (12 MB of memory in a process that never serves a request).

function seriesKey(value) {
  const labels = value.labels ?? {};
  return `${value.metricName ?? ''}|${Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',')}`;
}

/** `a` + `b`: metrics matched by name, their values by series (name and labels). */
function sumSnapshots(a, b) {
  const out = new Map();
  for (const metric of [...a, ...b]) {
    let into = out.get(metric.name);
    if (into === undefined) {
      into = { ...metric, values: [] };
      into.index = new Map();
      out.set(metric.name, into);
    }
    for (const value of metric.values) {
      const key = seriesKey(value);
      const existing = into.index.get(key);
      if (existing === undefined) {
        const copy = { ...value };
        into.index.set(key, copy);
        into.values.push(copy);
      } else {
        existing.value += value.value;
      }
    }
  }
  return [...out.values()].map(({ index, ...metric }) => metric);
}

const HELP = {
  function_calls_total: 'Number of calls of the function',
  function_failures_total: 'Number of calls that threw, rejected, timed out or were lost',
  function_timeouts_total: 'Number of calls that timed out',
};

/** A snapshot of counters from `{metricName: {method: count}}` (the calls lost with workers). */
function counterSnapshot(counts) {
  return Object.entries(counts).map(([name, byMethod]) => ({
    name,
    help: HELP[name] ?? name,
    type: 'counter',
    aggregator: 'sum',
    values: Object.entries(byMethod).map(([method, value]) => ({ value, labels: { method } })),
  }));
}

module.exports = { sumSnapshots, counterSnapshot };
