'use strict';
// FUNC_SIGNATURE=fission: what a Fission Node.js function gets (context.request, an Express
// request with the body parsed by server.js's parsers) and the ways server.js answers it.

const { Readable } = require('node:stream');

function kind(value) {
  if (value === undefined) return 'undefined';
  if (Buffer.isBuffer(value)) return 'buffer';
  return Array.isArray(value) ? 'array' : typeof value;
}

exports.echo = async (context) => {
  const req = context.request;
  return {
    status: 200,
    body: {
      bodyKind: kind(req.body),
      body: Buffer.isBuffer(req.body) ? req.body.toString('base64') : req.body,
      method: req.method,
      path: req.path,
      query: req.query,
      header: req.get('X-Custom') ?? null,
    },
  };
};

// A falsy status: the function answered through context.response itself.
exports.ownResponse = async (context) => {
  context.response.status(203).set('X-Own', 'yes').json({ own: true });
  return { status: 0 };
};

// A stream.Readable body is piped; headers are set first.
exports.stream = async () => ({
  status: 200,
  body: Readable.from(['one ', 'two ', 'three']),
  headers: { 'Content-Type': 'text/plain' },
});

// A callback after some time; the second call is ignored.
exports.later = (context, callback) => {
  setTimeout(() => {
    callback(201, { made: true }, { 'X-Later': '1' });
    callback(500, 'ignored');
  }, 20);
};

// Resolving to nothing is no answer: Fission's destructuring fails (500).
exports.nothing = async () => undefined;

// A function of no parameters is called with none.
exports.noArgs = function noArgs(...args) {
  return { status: 200, body: `arguments: ${args.length}` };
};
