'use strict';
// FUNC_SIGNATURE=gcf: what an HTTP function of the Functions Framework gets and how Express
// answers what it does (FF server.ts, function_wrappers.ts; Express 5's res.send/json).

function kind(value) {
  if (value === undefined) return 'undefined';
  if (Buffer.isBuffer(value)) return 'buffer';
  return Array.isArray(value) ? 'array' : typeof value;
}

exports.echo = (req, res) => {
  res.json({
    bodyKind: kind(req.body),
    body: Buffer.isBuffer(req.body) ? req.body.toString('base64') : req.body,
    rawBody: Buffer.isBuffer(req.rawBody) ? req.rawBody.toString('base64') : null,
    method: req.method,
    path: req.path,
    originalUrl: req.originalUrl,
    query: req.query,
    params: req.params,
    header: req.get('X-Custom') ?? null,
    isJson: req.is('json'),
    executionId: req.executionId,
    spanId: req.spanId ?? null,
    abortable: req.abortController instanceof AbortController,
    ip: req.ip,
    ips: req.ips,
    protocol: req.protocol,
    secure: req.secure,
    hostname: req.hostname,
  });
};

// Answers by case (?case=…), each one Express call.
const ANSWERS = {
  object: (res) => res.send({ a: 1 }),
  number: (res) => res.json(42),
  buffer: (res) => res.send(Buffer.from([0, 1, 2, 255])),
  typed: (res) => res.set('Content-Type', 'application/xml').send('<a/>'),
  type_ext: (res) => res.type('txt').send('plain'),
  no_content: (res) => res.status(204).send('dropped'),
  send_status: (res) => res.sendStatus(404),
  null_body: (res) => res.status(201).send(null),
  append: (res) => res.append('X-Multi', 'one').append('X-Multi', 'two').end('ok'),
  location: (res) => res.location('/a b?q=%41').status(303).end(),
  end: (res) => res.status(202).end('raw end'),
};

exports.answer = (req, res) => {
  ANSWERS[req.query.case](res);
};

// Written in pieces: the call ends when the response does.
exports.stream = (req, res) => {
  res.set('Content-Type', 'text/plain');
  res.write('one ');
  setTimeout(() => {
    res.write('two ');
    setTimeout(() => res.end('three'), 50);
  }, 50);
};

// A rejected promise before anything was sent: FF's crash response (the contract's 500 here).
exports.rejects = async (req, res) => {
  res.set('Content-Type', 'application/json');
  await new Promise((resolve) => setTimeout(resolve, 10));
  throw new Error('rejected from sig_gcf_request');
};

// FF ignores an HTTP function's return value: only the response counts (here: the deadline).
exports.returnsOnly = async () => 'ignored';
