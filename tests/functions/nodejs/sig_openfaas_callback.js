'use strict'
// O-js-3: the OpenFaaS Node.js docs' callback form (docs.openfaas.com/languages/node), unchanged;
// `?case=error` (the suite's) calls back with an error instead.

module.exports = (event, context, callback) => {
  if (event.query.case === 'error') {
    return callback(new Error('callback error from sig_openfaas'));
  }
  callback(undefined, {"result":"message received"});
}
