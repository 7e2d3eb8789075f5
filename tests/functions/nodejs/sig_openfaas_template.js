'use strict'
// O-js-1: openfaas/templates template/node22/function/handler.js (unchanged).

module.exports = async (event, context) => {
  const result = {
    'body': JSON.stringify(event.body),
    'content-type': event.headers["content-type"]
  }

  return context
    .status(200)
    .succeed(result)
}
