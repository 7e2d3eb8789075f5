'use strict';
// A stream that never ends, SSE style: it must be destroyed when its client goes away (`x-marker`).

const fs = require('fs');
const os = require('os');
const path = require('path');
const { Readable } = require('stream');

function markerPath(req) {
  const name = req.headers['x-marker'] || '';
  if (!/^[A-Za-z0-9_-]*$/.test(name)) throw new Error('x-marker must be a plain word');
  return name ? path.join(process.env.MARKER_DIR || os.tmpdir(), name) : '';
}

function ticks(event, context) {
  const marker = markerPath(event.extensions.request);
  let i = 0;
  let timer = null;
  const stream = new Readable({
    read() {
      if (timer === null) {
        timer = setInterval(() => { stream.push(`tick ${i++}\n`); }, 100);
      }
    },
    destroy(err, callback) {
      clearInterval(timer);
      if (marker) fs.writeFileSync(marker, 'closed');
      callback(err);
    },
  });
  return stream;
}

async function ticks_async(event, context) {
  return ticks(event, context);
}

module.exports = { ticks, ticks_async };
