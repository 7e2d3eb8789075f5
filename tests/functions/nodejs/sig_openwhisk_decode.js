// OpenWhisk's docs/webactions.md "Decoding binary body content from Base64", Node (the doc's code,
// unchanged: `new Buffer` and the undeclared `decoded` are sloppy-mode JavaScript, as OpenWhisk runs it).
function main(args) {
    decoded = new Buffer(args.__ow_body, 'base64').toString('utf-8')
    return {body: decoded}
}
