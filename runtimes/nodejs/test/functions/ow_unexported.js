// An OpenWhisk action as webactions.md writes it: a top-level main that is never exported.
const path = require('path');

function helper(name) {
  return `hello ${name}!`;
}

function main({ name }) {
  return { body: helper(name), file: path.basename(__filename), dir: path.basename(__dirname) };
}
