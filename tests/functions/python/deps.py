"""Imports packages that only the install volume ($KUBELESS_INSTALL_VOLUME) provides."""

import kl_conformance_pkg  # from $VOL/lib/pythonX.Y/site-packages
import kl_conformance_top  # from $VOL itself


def use(event, context):
    return {"pkg": kl_conformance_pkg.VALUE, "top": kl_conformance_top.VALUE}
