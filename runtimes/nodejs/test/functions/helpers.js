'use strict';
// Functions for the runtime's own tests (test/*.test.js).
const { Readable } = require('node:stream');

module.exports = {
  is(event) {
    const req = event.extensions.request;
    return { json: req.is('json'), text: req.is('text/*'), header: req.get('X-Thing') ?? null, query: req.query, path: req.path };
  },
  sendString(event) {
    event.extensions.response.status(202).set('X-One', '1').send('<p>hi</p>');
  },
  sendObject(event) {
    event.extensions.response.set({ 'X-Two': '2' }).type('json').json({ ok: true });
  },
  sendStatus(event) {
    event.extensions.response.sendStatus(404);
  },
  customType(event) {
    event.extensions.response.set('Content-Type', 'text/csv');
    return 'a,b\n';
  },
  stream() {
    return Readable.from(['one ', 'two ', 'three']);
  },
  nullValue() {
    return null;
  },
  rawBody(event) {
    const req = event.extensions.request;
    return { isBuffer: Buffer.isBuffer(req.body), length: req.body.length, same: req.rawBody === req.body };
  },
  async lateWrite(event, context) {
    await new Promise((resolve) => setTimeout(resolve, context.timeout * 1000 + 300));
    const res = event.extensions.response;
    res.setHeader('X-Late', '1');
    res.status(200).send('too late');
    return 'too late';
  },
  async loopAfterAwait() {
    await null;
    for (;;) { /* runaway */ }
  },
  throwInTimer() {
    setTimeout(() => { throw new Error('thrown in a timer'); }, 1);
    return 'ok';
  },
  rejectUnhandled() {
    Promise.reject(new Error('nobody waits for me'));
    return 'ok';
  },
  pid() {
    return String(process.pid);
  },
};
