// An action that exports its main (openwhisk-runtime-nodejs runner.js falls back to
// module.exports.main when no top-level main is found).
exports.main = (params) => ({ body: 'exported ' + (params.name || 'nobody') });
