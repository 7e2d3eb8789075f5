// L-js-4: the Lambda guide's nodejs-handler.md "Non-async handlers" example (callback form).
// Adapted: there is no network here, so the URL it checks is the runtime's own /healthz (from the
// request's Host header) over http instead of https://docs.aws.amazon.com/...
const http = require('http')

exports.handler =  function(event, context, callback) {
  let url = "http://" + event.headers.host + "/healthz"
  http.get(url, (res) => {
    res.resume()
    callback(null, res.statusCode)
  }).on('error', (e) => {
    callback(Error(e))
  })
}
