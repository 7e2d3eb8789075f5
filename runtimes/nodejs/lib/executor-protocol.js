'use strict';
// The messages between the front (the process that owns the connections) and an executor (the
// process that runs one call at a time), over the IPC channel of child_process.fork. Both sides
// require this file, so the message shapes are written down once.
//
// Serialization: 'json'. Measured here with small calls (4 executors, one round trip per call):
// 'json' 25,000-29,000 round trips/s, 'advanced' 16,000-19,000. Bytes therefore travel as
// latin1 strings (one char per byte, exact for any bytes); text travels as itself.
//
// Every message is an array, its first item the type. `id` is the call's number in the front.
//
// front → executor
//   [CALL, id, spec]                  spec: see callSpec() in executor-pool.js
//   [BODY, id, chunk]                 a piece of a streamed request body (latin1)
//   [BODY_END, id]                    the streamed body is complete
//   [BODY_ERROR, id, message]         the streamed body failed (the client went away, too large)
//   [ABORT, id, reason]               'timeout' (answered; the executor is killed a moment later)
//                                     or 'gone' (the client went away; the call goes on)
//   [ACK, id]                         the front wrote what it had: more response bytes may come
// executor → front
//   [READY]                           the module is loaded: calls may come
//   [RESULT, id, head, body, encoding, type[, failure]]   the function's value as a whole answer;
//                                     done. type ANSWER_TYPE: a signature's answer (responses.js
//                                     Answer), its status and headers in head, `failure` null or why
//                                     the call counts as failed
//   [WRITE, id, head, chunk, encoding, wantAck] a piece of a response the function streams
//   [END, id, head, chunk, encoding]  the function ended its response; done
//   [ERROR, id, text]                 the call failed (text: stack, or why the result cannot be
//                                     sent); done
//   [FREE, id]                        an aborted call's function has settled; done
// `head` is null or [statusCode, statusMessage|null, [name, value, name, value, …]] (a value may
// be an array); it comes with the first message that carries response bytes.

const SERIALIZATION = 'json';

const CALL = 0;
const BODY = 1;
const BODY_END = 2;
const BODY_ERROR = 3;
const ABORT = 4;
const ACK = 5;

const READY = 10;
const RESULT = 11;
const WRITE = 12;
const END = 13;
const ERROR = 14;
const FREE = 15;

/** RESULT's type for a signature adapter's Answer. */
const ANSWER_TYPE = 'answer';

/** Bytes a streaming response may send before it waits for an ACK from the front. */
const ACK_EVERY_BYTES = 256 * 1024;

/** A chunk (string or bytes) as [payload, encoding] for a JSON message. */
function encodeChunk(chunk, encoding) {
  if (typeof chunk === 'string') return [chunk, encoding === 'buffer' || !encoding ? 'utf8' : encoding];
  const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return [bytes.toString('latin1'), 'latin1'];
}

/** The inverse of encodeChunk: text stays text (utf8), anything else becomes a Buffer. */
function decodeChunk(payload, encoding) {
  return encoding === 'utf8' ? payload : Buffer.from(payload, encoding);
}

module.exports = {
  SERIALIZATION,
  CALL, BODY, BODY_END, BODY_ERROR, ABORT, ACK,
  READY, RESULT, WRITE, END, ERROR, FREE,
  ACK_EVERY_BYTES,
  ANSWER_TYPE,
  encodeChunk,
  decodeChunk,
};
