'use strict';
// Starts the real runtime (supervisor and worker) on a free loopback port for a test.

const { spawn } = require('node:child_process');
const path = require('node:path');
const { once } = require('node:events');

const RUNTIME = path.resolve(__dirname, '..');
const FUNCTIONS = path.join(__dirname, 'functions');

/**
 * Runs `node runtimes/nodejs --from-file FILE --handler HANDLER --port 0` and resolves once it
 * announces its address. Returns `{url, child, stdout(), stderr(), stop()}`.
 */
async function startRuntime(file, handler, { env = {}, args = [] } = {}) {
  const child = spawn(process.execPath, [RUNTIME, '--from-file', path.resolve(FUNCTIONS, file), '--handler', handler,
    '--host', '127.0.0.1', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runtime did not start:\n${err}`)), 15000);
    child.stderr.on('data', () => {
      const match = /on (http:\/\/[^ ]+) \(pid/.exec(err);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code}:\n${err}`));
    });
  });
  return {
    url,
    child,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code;
    },
  };
}

/** Runs the runtime expecting it to refuse to start; resolves `{code, stderr}`. */
async function startFails(args, env = {}) {
  const child = spawn(process.execPath, [RUNTIME, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const [code] = await once(child, 'exit');
  return { code, stderr: err };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { startRuntime, startFails, sleep, FUNCTIONS };
