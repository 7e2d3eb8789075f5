'use strict';
// The shim's registry of functions (FUNC_SIGNATURE=gcf, no real @google-cloud/functions-framework
// installed): the same names and shapes as the real package's build/src/function_registry.js,
// so that the runtime reads a registration's signature type one way for both.

const registrations = new Map();

// The real package's rule (function_registry.ts isValidFunctionName).
const VALID_NAME = /^[A-Za-z](?:[-_A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;

function register(functionName, signatureType, userFunction) {
  if (!VALID_NAME.test(functionName)) throw new Error(`Invalid function name: ${functionName}`);
  registrations.set(functionName, { signatureType, userFunction });
}

/** {signatureType, userFunction} registered under the name, or undefined. */
function getRegisteredFunction(functionName) {
  return registrations.get(functionName);
}

module.exports = { register, getRegisteredFunction };
