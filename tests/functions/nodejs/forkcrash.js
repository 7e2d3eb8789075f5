'use strict';
// A module whose every child process (worker or executor) dies at once: a start-up crash loop.
const cluster = require('cluster');

if (!cluster.isPrimary || process.send) process.exit(7);

module.exports.main = () => 'never served';
