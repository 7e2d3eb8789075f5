"""Under FUNC_SIGNATURE=gcf, `import functions_framework` must resolve (GCF provides it even when a
function's requirements omit it): the runtime's shim (shims/functions_framework) goes at the end of
sys.path, only when the real package is not installed, so an installed one always wins."""

from __future__ import annotations

import importlib.util
import os
import sys

SHIMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims")


def provide() -> None:
    if importlib.util.find_spec("functions_framework") is None and SHIMS not in sys.path:
        sys.path.append(SHIMS)
