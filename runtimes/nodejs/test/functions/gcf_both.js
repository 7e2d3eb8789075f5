'use strict';
// FUNC_SIGNATURE=gcf: one name both registered and exported (FF's loader: the registration wins),
// and a CloudEvent function exported for FUNCTION_SIGNATURE_TYPE.
const functions = require('@google-cloud/functions-framework');

functions.http('hello', (req, res) => res.send('registered'));
exports.hello = (req, res) => res.send('exported');
exports.onlyExported = (req, res) => res.send('only exported');
