'use strict';
// Functions for the image tests (tests/images): who runs them, and a call that takes a while.

module.exports = {
  whoami: () => ({ uid: process.getuid(), gid: process.getgid(), euid: process.geteuid() }),

  // A call still in flight when `podman stop` arrives; it must be let finish.
  slow: async (event) => {
    const seconds = Number(event.extensions.request.query.seconds || 1);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return 'finished';
  },

  // The ids, after `seconds` of busy work (a call past its deadline must be stopped).
  busyWhoami: (event) => {
    const until = Date.now() + Number(event.extensions.request.query.seconds || 0) * 1000;
    while (Date.now() < until) { /* spin */ }
    return { uid: process.getuid(), gid: process.getgid(), euid: process.geteuid() };
  },
};
