'use strict';
// `upload`: parses the multipart stream the runtime left unread, with busboy.

const crypto = require('node:crypto');
const busboy = require('busboy');

module.exports.upload = (event) => new Promise((resolve, reject) => {
  const req = event.extensions.request;
  const out = { fields: {}, files: {}, data_type: event.data === undefined ? 'undefined' : typeof event.data };
  const parser = busboy({ headers: req.headers });
  const pending = [];
  parser.on('field', (name, value) => { out.fields[name] = value; });
  parser.on('file', (name, stream, info) => {
    const hash = crypto.createHash('sha256');
    let size = 0;
    pending.push(new Promise((done) => {
      stream.on('data', (chunk) => { hash.update(chunk); size += chunk.length; });
      stream.on('end', () => {
        out.files[name] = { filename: info.filename, content_type: info.mimeType, size, sha256: hash.digest('hex') };
        done();
      });
    }));
  });
  parser.on('close', () => Promise.all(pending).then(() => resolve(out)));
  parser.on('error', reject);
  req.pipe(parser);
});
