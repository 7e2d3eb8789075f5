"""`functions_framework.aio`: the decorators of Starlette-based functions (a `starlette.requests.Request`)."""

from functions_framework import _function_registry


def http(func):
    """Registers `func` as an HTTP function called with a Starlette request (def or async def)."""
    _function_registry.REGISTRY_MAP[func.__name__] = _function_registry.HTTP_SIGNATURE_TYPE
    _function_registry.ASGI_FUNCTIONS.add(func.__name__)
    return func


def cloud_event(func):
    """Registers `func` as a CloudEvent function served by the Starlette path (def or async def)."""
    _function_registry.REGISTRY_MAP[func.__name__] = _function_registry.CLOUDEVENT_SIGNATURE_TYPE
    _function_registry.ASGI_FUNCTIONS.add(func.__name__)
    return func
