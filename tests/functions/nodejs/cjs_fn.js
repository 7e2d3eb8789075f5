'use strict';
// CommonJS `module.exports = fn`: the function is the handler whatever FUNCTION says (Kubeless).
module.exports = function handler(event) {
  return { style: 'cjs function', data: event.data === undefined ? null : event.data };
};
