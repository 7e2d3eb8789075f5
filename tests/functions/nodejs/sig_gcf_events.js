'use strict';
// FUNC_SIGNATURE=gcf, CloudEvent functions. helloCloudEvents re-creates the Functions Framework
// README's example (foreign-signatures.md §2 G-js-4): it logs the event's attributes and returns
// nothing (FF answers 204). The others show FF's other answers (invoker.ts sendResponse).

const functions = require('@google-cloud/functions-framework');

functions.cloudEvent('helloCloudEvents', (cloudevent) => {
  console.log(cloudevent.specversion);
  console.log(cloudevent.type);
  console.log(cloudevent.source);
  console.log(cloudevent.subject);
  console.log(cloudevent.id);
  console.log(cloudevent.time);
  console.log(cloudevent.datacontenttype);
});

// The event back, as FF sends an object (res.send → JSON).
functions.cloudEvent('echoEvent', async (cloudevent) => cloudevent);

// Callback style (a function of two parameters): a number is sent as JSON.
functions.cloudEvent('callbackEvent', (cloudevent, callback) => {
  setTimeout(() => callback(null, 7), 10);
});

functions.cloudEvent('failingEvent', () => {
  throw new Error('event failed from sig_gcf_events');
});

// Exported, with FUNCTION_SIGNATURE_TYPE=cloudevent (FF's flag for exported functions).
exports.exportedEvent = (cloudevent) => `id ${cloudevent.id}`;
