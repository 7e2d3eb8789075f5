"""`functions_framework` as the runtime provides it under FUNC_SIGNATURE=gcf when the function's
dependencies do not install the real package (GoogleCloudPlatform/functions-framework-python).

Only what a function's module uses at import time: the decorators, which register the function's
signature type under its name in `_function_registry.REGISTRY_MAP` (as the real package does) and
return the function. The runtime reads that registry to know how to call it (signatures/gcf.py).
`errorhandler` is set by the runtime before the function's module is imported, as the real
package's create_app sets it: the serving Flask app's `errorhandler` (when Flask is installed).
"""

from functions_framework import _function_registry


def http(func):
    """Registers `func` as an HTTP function: `func(flask.request)`."""
    _function_registry.REGISTRY_MAP[func.__name__] = _function_registry.HTTP_SIGNATURE_TYPE
    return func


def cloud_event(func):
    """Registers `func` as a CloudEvent function: `func(cloudevent)`."""
    _function_registry.REGISTRY_MAP[func.__name__] = _function_registry.CLOUDEVENT_SIGNATURE_TYPE
    return func
