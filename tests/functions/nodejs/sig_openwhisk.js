// FUNC_SIGNATURE=openwhisk (issue 11, SHARED-DECISIONS-11 "openwhisk"): a web action's main(params).
//
// As OpenWhisk's own Node.js actions, `main` is a plain top-level function that is NOT exported (the
// runtime evaluates the source in a function scope: openwhisk-runtime-nodejs runner.js).
// The suite's own action: `params.case` (a query or body parameter, so it also shows the merging)
// picks one of webactions.md's result shapes; without a case it answers W-js-3's result
// (webactions.md "Or returns application/json": the params as the JSON body).

// webactions.md "Or returns an image/png": a base64 string body with an image content type.
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const RESULTS = {
  // webactions.md "Or sets a cookie".
  cookie: {
    headers: {
      'Set-Cookie': 'UserID=Jane; Max-Age=3600; Version=',
      'Content-Type': 'text/html'
    },
    statusCode: 200,
    body: '<html><body><h3>hello</h3></body></html>' },
  // webactions.md "Or sets multiple cookies": an array is a repeated header.
  cookies: {
    headers: {
      'Set-Cookie': [
        'UserID=Jane; Max-Age=3600; Version=',
        'SessionID=asdfgh123456; Path = /'
      ],
      'Content-Type': 'text/html'
    },
    statusCode: 200,
    body: '<html><body><h3>hello</h3></body></html>' },
  png: { headers: { 'Content-Type': 'image/png' }, statusCode: 200, body: PNG_B64 },
  // W-js-2 (webactions.md, the redirect).
  redirect: { headers: { location: 'http://openwhisk.org' }, statusCode: 302 },
  string_body: { body: 'plain words' },
  object_body: { body: { a: 1, b: [true, null] } },
  array_body: { body: [1, 'two'] },
  empty_body: { body: '' },
  headers_only: { headers: { 'X-Only': 'yes' } },
  status_only: { statusCode: 200 },
  created: { statusCode: 201, body: 'made' },
  header_types: { headers: { 'X-Num': 42, 'X-Bool': true, 'X-List': ['a', 'b'] }, body: 'typed' },
  no_keys: { greeting: 'no HTTP keys' },
  none: undefined,
  // webactions.md "Error Handling": the controller projects `error` and answers it as .http.
  error_status: { error: { statusCode: 400 } },
  error_body: { error: { statusCode: 404, body: 'not here' } },
};

function main(params) {
  if (params.case === 'raise') throw new Error('boom from sig_openwhisk');
  if (params.case === 'reject') return Promise.reject(new Error('rejected by sig_openwhisk'));
  if (params.case === 'sleep') return new Promise((resolve) => setTimeout(() => resolve({ body: 'slept' }), 3000));
  if (params.case !== undefined) return RESULTS[params.case];
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: params
  };
}
