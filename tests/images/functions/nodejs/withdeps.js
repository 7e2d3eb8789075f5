'use strict';
// A Kubeless-style function whose dependency (package.json) comes from the install phase.
const isNumber = require('is-number'); // resolved at load time: the runtime must find it on start-up

module.exports = {
  version: () => ({
    'is-number': require('is-number/package.json').version,
    file: require.resolve('is-number'),
    works: isNumber(42) && !isNumber('forty-two'),
  }),
};
