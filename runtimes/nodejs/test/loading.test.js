'use strict';
// Finding and loading the function: zips, folders, start-up errors (CONTRACT §1).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const AdmZip = require('adm-zip');
const { startRuntime, startFails } = require('./support');

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kr-test-'));
}

test('a zip holding its files in one top folder is served, and unpacked only once', async () => {
  const dir = tempDir();
  const zip = new AdmZip();
  zip.addFile('project/fn.js', Buffer.from("const h = require('./helper'); exports.main = () => h.word();"));
  zip.addFile('project/helper.js', Buffer.from("exports.word = () => 'from the zip';"));
  const file = path.join(dir, 'fn.zip');
  zip.writeZip(file);
  const scratch = path.join(dir, 'tmp'); // the runtime's own TMPDIR: other runs unpack elsewhere
  fs.mkdirSync(scratch);
  const rt = await startRuntime(file, 'fn.main', { env: { TMPDIR: scratch } });
  try {
    assert.equal(await (await fetch(rt.url)).text(), 'from the zip');
    assert.equal(fs.readdirSync(scratch).filter((name) => name.startsWith('kubeless-fn-')).length, 1);
    await rt.stop();
    assert.deepEqual(fs.readdirSync(scratch), [], 'the unpacked folder is removed at exit');
  } finally {
    await rt.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a default-exported object holding the function (ESM)', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'mod.mjs'), "export default { main: () => 'esm object', other: 1 };");
  const rt = await startRuntime(path.join(dir, 'mod.mjs'), 'mod.main');
  try {
    assert.equal(await (await fetch(rt.url)).text(), 'esm object');
  } finally {
    await rt.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('start-up errors name the handler and file, with the exit codes of the contract', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'notfn.js'), 'exports.main = 42;');
  fs.writeFileSync(path.join(dir, 'throws.js'), "throw new Error('no config');");
  fs.writeFileSync(path.join(dir, 'text.txt'), 'not a zip');
  const cases = [
    [['--from-file', path.join(dir, 'notfn.js'), '--handler', 'notfn.main'], 1, /cannot load handler notfn\.main from .*notfn\.js: main is not a function \(it is a number\)/],
    [['--from-file', path.join(dir, 'throws.js'), '--handler', 'throws.main'], 1, /cannot load handler throws\.main from .*: Error while loading the module: no config\n.*Error: no config/],
    [['--from-file', path.join(dir, 'text.txt'), '--handler', 'text.main'], 1, /not a \.js, \.mjs or \.cjs file, a folder or a zip/],
    [['--from-file', path.join(dir, 'missing.js'), '--handler', 'missing.main'], 1, /no such file or folder/],
    [['--from-file', path.join(dir, 'notfn.js'), '--handler', 'nodot'], 2, /--handler must be MODULE\.FUNCTION/],
    [['--from-file', path.join(dir, 'notfn.js'), '--handler', 'notfn.main', '--timeout=-1'], 2, /--timeout must be a number greater than 0 and at most 86400, got "-1"/],
    [['--from-file', path.join(dir, 'notfn.js'), '--handler', 'notfn.main', '--timeout', '-1'], 2, /--timeout must be a number greater than 0 and at most 86400, got "-1"/],
    [['--from-file', path.join(dir, 'notfn.js'), '--handler', 'notfn.main', '--timeout', '2500000'], 2, /--timeout must be a number greater than 0 and at most 86400/],
  ];
  try {
    for (const [args, code, message] of cases) {
      const result = await startFails(args);
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
