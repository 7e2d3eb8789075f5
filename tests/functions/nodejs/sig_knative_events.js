'use strict';
// FUNC_SIGNATURE=knative, K-js-2: Knative Functions' Node.js `cloudevents` template (knative/func@c18d604
// templates/node/cloudevents/index.js): handle(context, event) answers a new CloudEvent with data
// { message: 'OK' }, which faas-js-runtime sends in binary mode (lib/invoker.js: HTTP.binary).
// Needs the `cloudevents` package from the function's own package.json.
const { CloudEvent } = require('cloudevents');

const handle = async (context, event) => {
  // YOUR CODE HERE
  context.log.info("context", context);
  context.log.info("event", event);

  return new CloudEvent({
    source: 'function',
    type: 'function.response',
    data: { message: 'OK' }
  });
};

module.exports = { handle };
