'use strict';
// The smallest useful function: greets whoever the request names.
//
// Serve it with:  node runtimes/nodejs --from-file hello.js --handler hello.main
// Call it with:   curl -d '{"name": "Ada"}' -H 'Content-Type: application/json' localhost:8080

module.exports = {
  main(event, context) {
    const data = event.data;
    const name = data && typeof data === 'object' && data.name ? data.name : 'world';
    return `hello ${name}`;
  },

  // What the benchmark serves: the same body as the bare reference server.
  bench() {
    return 'hello world';
  },
};
