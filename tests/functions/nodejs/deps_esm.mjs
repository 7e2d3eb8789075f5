// Imports (ESM) a package that only the install volume ($KUBELESS_INSTALL_VOLUME/node_modules) provides.
import pkg from 'kl-conformance-pkg';

export function use() {
  return { pkg: pkg.VALUE, esm: true };
}
