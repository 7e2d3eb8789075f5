'use strict';
// FUNC_SIGNATURE=fission: fission/environments nodejs/test/test-case-2/helloUser.js (F-js-2),
// re-created: the query read from context.request.url with the legacy url.parse.

const url = require('node:url');

module.exports = async (context) => {
  const { query } = url.parse(context.request.url, true);
  return { status: 200, body: `hello ${query.user}!` };
};
