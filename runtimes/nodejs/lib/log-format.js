'use strict';
// The log's format (FUNC_LOG_FORMAT, shared decisions §2). `apache` (the default): the access log
// in Apache combined format on stdout, the runtime's messages as plain lines on stderr, the
// function's output as it writes it. `json`: everything on stdout as one JSON record per line, in
// the OpenTelemetry log data model, flattened:
//   {"timestamp":…,"severity_text":…,"severity_number":…,"body":…,"scope":…,
//    "trace_id":…,"span_id":…,"trace_flags":…,"attributes":{…}}
// (keys in this order, a key without a value left out). `record()` makes one; the runtime's own
// messages go out through `message()`, which picks the format. Every record is written whole, in
// one write.

const SEVERITY_NUMBERS = Object.freeze({ DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 });

const SCOPE_ACCESS = 'kubeless.access';
const SCOPE_RUNTIME = 'kubeless.runtime';
const SCOPE_FUNCTION = 'function';

/** `2026-11-26T17:40:00.123Z` for a Unix time in ms; the date part is made once a second. */
let isoSecond = -1;
let isoPrefix = '';
function isoTime(ms) {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const millis = ms - second * 1000;
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/**
 * One record as a line of JSON text (with its `\n`). `call` (or null: a record outside any call)
 * gives `trace_id`, `span_id`, `trace_flags` (its `trace`) and the `faas.invocation_id` attribute
 * (its `eventId`); `attributes`' values that are undefined are left out.
 */
function record(severity, body, scope, call = null, attributes = undefined, timeMs = Date.now()) {
  let line = `{"timestamp":"${isoTime(timeMs)}","severity_text":"${severity}","severity_number":${SEVERITY_NUMBERS[severity]},"body":${JSON.stringify(String(body))},"scope":${JSON.stringify(scope)}`;
  let attrs = '';
  if (call !== null && call !== undefined) {
    const trace = call.trace;
    if (trace !== null && trace !== undefined) {
      line += `,"trace_id":"${trace.traceId}","span_id":"${trace.spanId}","trace_flags":"${trace.flags}"`;
    }
    if (call.eventId) attrs = `"faas.invocation_id":${JSON.stringify(call.eventId)}`;
  }
  if (attributes !== undefined) {
    for (const key of Object.keys(attributes)) {
      const value = attributes[key];
      if (value === undefined) continue;
      attrs += `${attrs === '' ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(value)}`;
    }
  }
  return attrs === '' ? `${line}}\n` : `${line},"attributes":{${attrs}}}\n`;
}

let json = false;
// The runtime's own stdout and stderr, kept from before the function's output is captured
// (capture.js replaces process.stdout.write and process.stderr.write in JSON format).
let writeOut = (data) => process.stdout.write(data);
let writeErr = (data) => process.stderr.write(data);

/** Sets this process's format (`apache` or `json`); call it before capture.js is installed. */
function configure(format) {
  json = format === 'json';
  const { stdout, stderr } = process;
  const outWrite = stdout.write;
  const errWrite = stderr.write;
  writeOut = (data) => outWrite.call(stdout, data);
  writeErr = (data) => errWrite.call(stderr, data);
}

function isJson() {
  return json;
}

/** Writes to the runtime's own stdout (the access log, records), whatever the function's is. */
function out(data) {
  return writeOut(data);
}

/**
 * One message of the runtime (`text` without its final newline, a stack included): a line on
 * stderr, or a `kubeless.runtime` record with `call`'s ids (null: none) in JSON format.
 */
function message(text, severity = 'ERROR', call = null) {
  if (json) writeOut(record(severity, text, SCOPE_RUNTIME, call));
  else writeErr(`${text}\n`);
}

module.exports = {
  SEVERITY_NUMBERS, SCOPE_ACCESS, SCOPE_RUNTIME, SCOPE_FUNCTION,
  isoTime, record, configure, isJson, out, message,
};
