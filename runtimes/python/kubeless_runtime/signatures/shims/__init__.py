"""Modules the runtime provides to functions under a signature, when the function's dependencies do
not: this folder itself goes on sys.path (never its parent), so `functions_framework` imports as the
top-level name GCF functions use. See gcf_shim.py."""
