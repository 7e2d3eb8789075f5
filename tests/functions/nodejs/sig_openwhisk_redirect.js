// W-js-2: OpenWhisk's docs/webactions.md redirect example (the doc's code, unchanged).
function main() {
  return {
    headers: { location: 'http://openwhisk.org' },
    statusCode: 302
  }
}
