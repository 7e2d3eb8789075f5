'use strict';
// Loads, then dies a moment later: a start-up crash loop (shared decision 16).
setTimeout(() => process.exit(4), 100);
module.exports.main = () => 'never';
