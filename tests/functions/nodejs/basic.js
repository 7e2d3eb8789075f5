'use strict';
// `echo`: reports what the runtime handed to the function, so cases can check event and context.

function typed(value) {
  if (Buffer.isBuffer(value)) return ['buffer', value.toString('base64')];
  if (value === null) return ['null', null];
  if (value === undefined) return ['undefined', null];
  if (Array.isArray(value)) return ['array', value];
  return [typeof value, value];
}

function echo(event, context) {
  const req = event.extensions.request;
  const [dataType, data] = typed(event.data);
  const raw = req.rawBody || req.body;
  const ctx = {};
  for (const key of ['function-name', 'timeout', 'runtime', 'memory-limit', 'deadline']) {
    ctx[key] = context[key] === undefined ? '<undefined>' : context[key];
  }
  return {
    data_type: dataType,
    data,
    event: {
      'event-id': event['event-id'],
      'event-type': event['event-type'],
      'event-time': event['event-time'],
      'event-namespace': event['event-namespace'],
    },
    event_keys: Object.keys(event).sort(),
    extension_keys: Object.keys(event.extensions).sort(),
    context: ctx,
    context_keys: Object.keys(context).sort(),
    signal: context.signal instanceof AbortSignal ? { aborted: context.signal.aborted } : null,
    raw_b64: Buffer.isBuffer(raw) ? raw.toString('base64') : null,
    method: req.method,
    path: req.path,
    url: req.url,
    query: req.query,
    module: null,
    now: Date.now() / 1000,
    pid: process.pid,
  };
}

async function echo_async(event, context) {
  await null;
  return echo(event, context);
}

module.exports = { echo, echo_async };
