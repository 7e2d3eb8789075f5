"""The registry the decorators fill, with the real package's names and values."""

HTTP_SIGNATURE_TYPE = "http"
CLOUDEVENT_SIGNATURE_TYPE = "cloudevent"

# Function name → its signature type.
REGISTRY_MAP = {}

# Names of the functions registered with `functions_framework.aio` (a Starlette request).
ASGI_FUNCTIONS = set()
