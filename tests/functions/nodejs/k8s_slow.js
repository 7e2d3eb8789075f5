'use strict';
// A module that takes a second to load (readiness while starting).

const until = Date.now() + 1000;
while (Date.now() < until) { /* loading */ }

module.exports.hold = async () => 'done';
