// FUNC_SIGNATURE=lambda / lambda-v1 (issue 11, SHARED-DECISIONS-11 "lambda"): Lambda handlers.
//
// `handler` is the Lambda guide's own example L-js-1 (nodejs-handler.md, the first example).
// The other functions are the suite's: `echo` hands back the event it got (as a proxy response,
// valid for payload 2.0 and 1.0), `answer` returns what the `case` query parameter (or, through the
// runtime interface emulator's endpoint, the event's own `case` key) names, `callbacks` answers
// through callback / context.succeed / fail / done, `context_info` shows the context.

// L-js-1: nodejs-handler.md (the doc's code, unchanged).
exports.handler =  async function(event, context) {
  console.log("EVENT: \n" + JSON.stringify(event, null, 2))
  return context.logStreamName
}

exports.echo = async (event, context) => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ event, request_id: context.awsRequestId }),
});

const caseOf = (event) => {
  if (event === null || typeof event !== 'object') return undefined;
  if ('case' in event) return event.case;
  return (event.queryStringParameters || {}).case;
};

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);

const ANSWERS = {
  // urls-invocation.md "Example output for a string response" / "... for a JSON response".
  string: 'Hello, world!',
  json: { message: 'Hello, world!' },
  // urls-invocation.md "Example output for a custom response".
  custom: {
    statusCode: 201,
    headers: { 'Content-Type': 'application/json', 'My-Custom-Header': 'Custom Value' },
    body: JSON.stringify({ message: 'Hello, world!' }),
    isBase64Encoded: false,
  },
  // urls-invocation.md "Cookies": each cookie becomes a set-cookie header.
  cookies: {
    statusCode: 201,
    headers: { 'Content-Type': 'application/json', 'My-Custom-Header': 'Custom Value' },
    body: JSON.stringify({ message: 'Hello, world!' }),
    cookies: ['Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT', 'Cookie_2=Value2; Max-Age=78000'],
    isBase64Encoded: false,
  },
  none: null,
  number: 42,
  list: [1, 'two', null],
  base64: {
    statusCode: 200,
    headers: { 'Content-Type': 'image/png' },
    body: PNG.toString('base64'),
    isBase64Encoded: true,
  },
  // Payload 1.0 (REST API): multiValueHeaders become repeated headers.
  multi: {
    statusCode: 202,
    headers: { 'Content-Type': 'text/plain' },
    multiValueHeaders: { 'X-Multi': ['first', 'second'] },
    body: 'multi',
  },
  // Malformed for payload 1.0: statusCode must be an integer, body a string.
  status_string: { statusCode: '200', body: 'x' },
  body_object: { statusCode: 200, body: { a: 1 } },
  no_status: { body: 'no status' },
};

exports.answer = async (event) => {
  const name = caseOf(event);
  if (name === 'raise') throw new Error('boom from sig_lambda');
  if (name === 'sleep') {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return 'slept';
  }
  return ANSWERS[name];
};

// A non-async handler with a callback (nodejs-handler.md "Non-async handlers"; CallbackContext.js:
// only the first of callback / succeed / fail / done counts).
exports.callbacks = function (event, context, callback) {
  switch (caseOf(event)) {
    case 'callback': callback(null, 'from callback'); break;
    case 'callback_error': callback(new Error('callback error from sig_lambda')); break;
    case 'succeed': context.succeed('from succeed'); break;
    case 'fail': context.fail(new Error('fail from sig_lambda')); break;
    case 'done': context.done(null, 'from done'); break;
    case 'done_error': context.done(new Error('done error from sig_lambda')); break;
    case 'first_wins':
      callback(null, 'first');
      callback(null, 'second');
      context.succeed('third');
      context.fail(new Error('fourth'));
      break;
    case 'later': setTimeout(() => callback(null, 'later'), 200); break;
    case 'pending_timer':
      // The callback answers at once: it does not wait for this timer (an empty event loop).
      setTimeout(() => console.log('sig_lambda timer fired'), 2000);
      callback(null, 'at once');
      break;
    case 'never': break; // answered at the deadline
    default: callback(null, { unknown: caseOf(event) === undefined ? null : caseOf(event) });
  }
};

exports.context_info = async (event, context) => ({
  aws_request_id: context.awsRequestId,
  function_name: context.functionName,
  function_version: context.functionVersion,
  invoked_function_arn: context.invokedFunctionArn,
  memory_limit_in_mb: context.memoryLimitInMB,
  log_group_name: context.logGroupName,
  log_stream_name: context.logStreamName,
  client_context: context.clientContext === undefined ? 'missing' : context.clientContext,
  has_identity: 'identity' in context,
  callback_waits: context.callbackWaitsForEmptyEventLoop,
  has_succeed_fail_done: [context.succeed, context.fail, context.done].every((f) => typeof f === 'function'),
  remaining: context.getRemainingTimeInMillis(),
});
