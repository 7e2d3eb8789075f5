'use strict';
// `require('@google-cloud/functions-framework')` under the Kubeless runtime's FUNC_SIGNATURE=gcf
// when the function's own dependencies do not install the real package (SHARED-DECISIONS-11b):
// functions.http(name, fn) and functions.cloudEvent(name, fn) register the function that
// FUNC_HANDLER names. The real package's server, CLI and types are not here.

const { register } = require('./function_registry');

exports.http = (functionName, handler) => register(functionName, 'http', handler);
exports.cloudEvent = (functionName, handler) => register(functionName, 'cloudevent', handler);
