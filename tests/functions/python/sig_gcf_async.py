# G-py-4: functions-framework-python examples/cloud_run_async/main.py (re-created), plus `cases`:
# aio/__init__.py _http_func_wrapper's result mapping, and `sync_echo`, a def aio function.
import json

import functions_framework.aio
from starlette.responses import Response


@functions_framework.aio.http
async def hello_async_http(request):
    return "Hello, async world!"


@functions_framework.aio.cloud_event
async def hello_async_cloudevent(cloud_event):
    print(f"Received event with ID: {cloud_event['id']} and data {cloud_event.data}")


@functions_framework.aio.http
async def cases(request):
    case = request.query_params.get("case")
    if case == "dict":
        return {"message": "hi", "n": 1}
    if case == "tuple_str":
        return "created", 201
    if case == "tuple_dict":
        return {"error": "bad"}, 400
    if case == "none":
        return None
    if case == "response":
        return Response("<b>x</b>", status_code=202, media_type="text/html", headers={"X-Extra": "yes"})
    if case == "number":
        return 42
    if case == "echo":
        body = await request.body()
        return {
            "method": request.method, "path": request.url.path, "query": dict(request.query_params),
            "header": request.headers.get("x-custom"), "body": body.decode(),
            "json": await request.json() if request.headers.get("content-type") == "application/json" else None,
        }
    if case == "raise":
        raise RuntimeError("boom from sig_gcf_async")
    return "plain"


@functions_framework.aio.http
def sync_echo(request):
    return json.dumps({"method": request.method, "query": dict(request.query_params)})
