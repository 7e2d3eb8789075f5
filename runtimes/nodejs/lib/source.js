'use strict';
// Where the function's code is: a file, a folder, a zip (CLI mode) or $KUBELESS_FUNC_DIR (container
// mode). Runs once, in the supervisor, so a zip is unpacked once for every worker it starts.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const EXTENSIONS = ['.js', '.mjs', '.cjs'];
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const EMPTY_ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/** A start-up failure that names its cause; exit code 1 (CONTRACT §1.3). */
class LoadError extends Error {
  constructor(message, { cause, showStack = false } = {}) {
    super(message, cause ? { cause } : undefined);
    this.showStack = showStack;
  }
}

function startsWith(file, magic) {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(magic.length);
    return fs.readSync(fd, head, 0, magic.length, 0) === magic.length && head.equals(magic);
  } finally {
    fs.closeSync(fd);
  }
}

function isZip(file) {
  return startsWith(file, ZIP_MAGIC) || startsWith(file, EMPTY_ZIP_MAGIC);
}

/** MODULE.js / .mjs / .cjs inside a folder (first that exists). */
function moduleInFolder(folder, moduleName, shownAs) {
  for (const ext of EXTENSIONS) {
    const candidate = path.join(folder, moduleName + ext);
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new LoadError(`no ${moduleName}.js, ${moduleName}.mjs or ${moduleName}.cjs in ${shownAs}`);
}

/**
 * Unpacks a zip into a private temporary folder. adm-zip (pure JS, no native parts) keeps the image
 * free of an `unzip` binary and refuses entries that would land outside the target folder.
 */
function unpack(zipFile) {
  const AdmZip = require('adm-zip');
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeless-fn-'));
  try {
    new AdmZip(zipFile).extractAllTo(target, true);
  } catch (err) {
    fs.rmSync(target, { recursive: true, force: true });
    throw new LoadError(`cannot unpack the zip: ${err.message}`);
  }
  return target;
}

/**
 * Resolves the settings to `{file, shownAs, cleanup}`: the module's file, the name to show in
 * errors, and a function that removes what was unpacked.
 */
function locateSource(config) {
  const noop = () => {};
  if (config.fromFile === undefined) {
    const dir = config.funcDir;
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new LoadError(`the function folder ${dir} does not exist`);
    }
    return { file: moduleInFolder(dir, config.moduleName, dir), shownAs: path.join(dir, `${config.moduleName}.js`), cleanup: noop };
  }
  const given = path.resolve(config.fromFile);
  let stat;
  try {
    stat = fs.statSync(given);
  } catch {
    throw new LoadError('no such file or folder');
  }
  if (stat.isDirectory()) {
    return { file: moduleInFolder(given, config.moduleName, config.fromFile), shownAs: config.fromFile, cleanup: noop };
  }
  if (isZip(given)) {
    const folder = unpack(given);
    const cleanup = () => fs.rmSync(folder, { recursive: true, force: true });
    try {
      // A zip made of a folder holds the module one level down: accept that layout too.
      let root = folder;
      const entries = fs.readdirSync(folder);
      if (!EXTENSIONS.some((ext) => entries.includes(config.moduleName + ext)) && entries.length === 1
          && fs.statSync(path.join(folder, entries[0])).isDirectory()) {
        root = path.join(folder, entries[0]);
      }
      return { file: moduleInFolder(root, config.moduleName, `the zip ${config.fromFile}`), shownAs: config.fromFile, cleanup };
    } catch (err) {
      cleanup();
      throw err;
    }
  }
  if (!EXTENSIONS.includes(path.extname(given))) {
    throw new LoadError('not a .js, .mjs or .cjs file, a folder or a zip');
  }
  return { file: given, shownAs: config.fromFile, cleanup: noop };
}

module.exports = { locateSource, LoadError };
