"""A Kubeless-compatible Python function runtime on Starlette and uvicorn.

Run it as `python -m kubeless_runtime` or `kubeless-runtime`; see `runtimes/shared/CONTRACT.md`.
"""

__version__ = "0.1.0"
