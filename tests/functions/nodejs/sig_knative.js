'use strict';
// FUNC_SIGNATURE=knative, K-js-1: Knative Functions' Node.js `http` template, as `func create -l
// node` writes it (knative/func@c18d604 templates/node/http/index.js): handle(context, body) logs the
// query and the body and answers { body: "OK", headers: { 'content-type': 'text/plain' } }.
const handle = async (context, body) => {
  // YOUR CODE HERE
  context.log.info("query", context.query);
  context.log.info("body", body);

  return {
    body: "OK",
    headers: {
      'content-type': 'text/plain'
    }
  };
}

// Export the function
module.exports = { handle };
