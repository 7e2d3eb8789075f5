'use strict';
// A module whose worker dies 200 ms after it loaded (and listened): a start-up crash loop.
setTimeout(() => process.exit(1), 200);
module.exports.main = () => 'ok';
