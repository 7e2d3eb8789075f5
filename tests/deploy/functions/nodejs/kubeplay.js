'use strict';
// The function tests/deploy/test_kube_play.py runs in a pod: it imports what the install phase put
// in the volume, and reports what the pod's security settings left it (uid, a read-only root, no
// capabilities), or sleeps `?sleep=S` seconds (a call in flight during the drain).

const fs = require('fs');
const os = require('os');
const path = require('path');
const isNumber = require('is-number'); // from package.json, installed by the init container

const ENV = ['MOD_NAME', 'FUNC_HANDLER', 'KUBELESS_INSTALL_VOLUME', 'FUNC_MEMORY_LIMIT', 'FUNC_LOG_FORMAT',
  'FUNC_MAX_INFLIGHT', 'FUNC_GRACE_PERIOD'];
const CGROUP_MEMORY = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];

function writable(file) {
  try {
    fs.writeFileSync(file, '');
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

exports.main = async (event, context) => {
  const seconds = Number(event.extensions.request.query.sleep || 0);
  if (seconds) {
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return `slept ${seconds}`;
  }
  const status = {};
  for (const line of fs.readFileSync('/proc/self/status', 'utf8').split('\n')) {
    const [key, value] = line.split(':\t');
    if (value !== undefined) status[key] = value.trim();
  }
  const memory = CGROUP_MEMORY.find((file) => fs.existsSync(file));
  return {
    dependency: require('is-number/package.json').version,
    dependencyFile: require.resolve('is-number'),
    works: isNumber(5) && !isNumber('five'),
    uid: process.getuid(),
    gid: process.getgid(),
    rootWritable: writable('/kubeplay-probe'),
    tmpWritable: writable(path.join(os.tmpdir(), 'kubeplay-probe')),
    capBnd: status.CapBnd,
    noNewPrivs: status.NoNewPrivs,
    seccomp: status.Seccomp,
    memoryCgroupLimit: memory ? fs.readFileSync(memory, 'utf8').trim() : null,
    memoryLimit: context['memory-limit'],
    env: Object.fromEntries(ENV.map((name) => [name, process.env[name] ?? null])),
  };
};
