# G-py-2: functions-framework-python examples/cloud_run_decorator/main.py (re-created), plus `which`:
# where `functions_framework` came from (the real package or the runtime's shim).
import functions_framework


@functions_framework.cloud_event
def hello_cloud_event(cloud_event):
    return f"Received event with ID: {cloud_event['id']} and data {cloud_event.data}"


@functions_framework.http
def hello_http(request):
    return "Hello world!"


@functions_framework.http
def which(request):
    return {"file": functions_framework.__file__}
