'use strict';
// Requires a package that only the install volume ($KUBELESS_INSTALL_VOLUME/node_modules) provides.

const pkg = require('kl-conformance-pkg');

module.exports.use = () => ({ pkg: pkg.VALUE });
