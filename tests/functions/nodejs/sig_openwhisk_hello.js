// W-js-1: OpenWhisk's docs/webactions.md `hello.js` (the doc's code, unchanged; main is not exported).
function main({name}) {
  var msg = 'you did not tell me who you are.';
  if (name) {
    msg = `hello ${name}!`
  }
  return {body: `<html><body><h3>${msg}</h3></body></html>`}
}
