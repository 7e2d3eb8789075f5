"""`python -m kubeless_runtime`."""

import os
import sys

# `python -m` puts the working directory first on sys.path, where a function file named like a
# module the runtime imports (socket.py, uvicorn.py, ...) would replace it before the loader could
# refuse it. The loader puts the function's own folder on the path; the working directory is only
# needed when the runtime itself is run from its source folder without being installed.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.getcwd():
    if not os.path.isdir(os.path.join(os.getcwd(), "kubeless_runtime")):
        del sys.path[0]

from .cli import main  # noqa: E402

raise SystemExit(main())
