'use strict';
// `@google-cloud/functions-framework/testing` of the runtime's shim: getFunction only (the real
// package's getTestServer needs its Express server: install the real package for it).

const { getRegisteredFunction } = require('./function_registry');

exports.getFunction = (functionName) => getRegisteredFunction(functionName)?.userFunction;
