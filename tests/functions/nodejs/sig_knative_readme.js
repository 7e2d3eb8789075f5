'use strict';
// FUNC_SIGNATURE=knative, K-js-3: faas-js-runtime's README "CLI" example
// (nodeshift/faas-js-runtime@53505e5 README.md): the module is the function itself, and its object
// result without `body` is answered as that object's JSON (lib/invoker.js).
function handle(context) {
  const event = context.cloudevent;
  // business logic
  return {
    statusCode: 200,
    statusMessage: 'OK'
  }
}

module.exports = handle;
