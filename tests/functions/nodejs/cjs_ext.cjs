'use strict';
// A .cjs file (CommonJS whatever the package type).
exports.main = () => ({ style: 'cjs extension' });
