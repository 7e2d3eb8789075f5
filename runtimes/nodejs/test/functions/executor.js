'use strict';
// Functions for the executor pool's tests (test/executor-pool.test.js), chosen by `x-case`.

const { Readable } = require('node:stream');

let calls = 0; // module state: persists within one executor

module.exports.main = async (event, context) => {
  const req = event.extensions.request;
  const res = event.extensions.response;
  calls += 1;
  switch (req.headers['x-case']) {
    case 'text': return 'hello';
    case 'json': return { data: event.data, id: event['event-id'], query: req.query, path: req.path, ct: req.is('json') };
    case 'bytes': return Buffer.from([0, 255, 1]);
    case 'nothing': return undefined;
    case 'status': res.status(201).set('X-Test', 'yes'); return 'made';
    case 'send': res.status(202).send('<p>hi</p>'); return 'ignored';
    case 'stream-writes':
      res.set('Content-Type', 'text/plain');
      res.write('a');
      await new Promise((r) => setTimeout(r, 10));
      res.write(Buffer.from('b'));
      res.end('c');
      return undefined;
    case 'readable': return Readable.from(['x', 'y', 'z']);
    case 'big': {
      const chunk = Buffer.alloc(64 * 1024, 97);
      for (let i = 0; i < 16; i += 1) {
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
      return undefined;
    }
    case 'throw': throw new Error('boom');
    case 'symbol': return Symbol('s');
    case 'exit': process.exit(3); break;
    case 'abort': process.abort(); break;
    case 'timer-throw': setTimeout(() => { throw new Error('thrown in a timer'); }, 5); return new Promise(() => {});
    case 'spin': for (;;) { /* spin */ }
    case 'sleep': await new Promise((r) => setTimeout(r, Number(req.headers['x-ms'] || 200))); return `slept ${process.pid}`;
    case 'count': return { calls, pid: process.pid };
    case 'signal':
      await new Promise((r) => context.signal.addEventListener('abort', r, { once: true }));
      console.log(`ABORTED ${context.signal.reason.name}`);
      return 'aborted';
    case 'upload': {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      return { size: Buffer.concat(chunks).length, data: event.data === undefined };
    }
    default: return `ok ${process.pid}`;
  }
};
