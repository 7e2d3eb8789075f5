"""FUNC_SIGNATURE=lambda / lambda-v1 (issue 11, SHARED-DECISIONS-11 "lambda"): Lambda handlers.

`lambda_handler` is the Lambda guide's own example L-py-1 (python-handler.md "Returning a message").
The other functions are the suite's: `echo` hands back the event it got (as a proxy response, valid
for payload 2.0 and 1.0), `answer` returns what the `case` query parameter (or, through the runtime
interface emulator's endpoint, the event's own `case` key) names, `context_info` the context.
"""

import base64
import json
import time


# L-py-1: python-handler.md "Returning a message" (the doc's code, unchanged).
def lambda_handler(event, context):
    message = 'Hello {} {}!'.format(event['first_name'], event['last_name'])
    return {
        'message' : message
    }


def echo(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"event": event, "request_id": context.aws_request_id}),
    }


async def echo_async(event, context):
    """An `async def` handler: awaited (an extension: Lambda's Python runtime is sync-only)."""
    return {"async": True, "request_id": context.aws_request_id}


def _case(event):
    if not isinstance(event, dict):
        return None
    if "case" in event:
        return event["case"]
    return (event.get("queryStringParameters") or {}).get("case")


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256))

ANSWERS = {
    # urls-invocation.md "Example output for a string response" / "... for a JSON response".
    "string": "Hello, world!",
    "json": {"message": "Hello, world!"},
    # urls-invocation.md "Example output for a custom response".
    "custom": {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "My-Custom-Header": "Custom Value"},
        "body": json.dumps({"message": "Hello, world!"}),
        "isBase64Encoded": False,
    },
    # urls-invocation.md "Cookies": each cookie becomes a set-cookie header.
    "cookies": {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "My-Custom-Header": "Custom Value"},
        "body": json.dumps({"message": "Hello, world!"}),
        "cookies": ["Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT", "Cookie_2=Value2; Max-Age=78000"],
        "isBase64Encoded": False,
    },
    "none": None,
    "number": 42,
    "list": [1, "two", None],
    "base64": {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(PNG).decode("ascii"),
        "isBase64Encoded": True,
    },
    # Payload 1.0 (REST API): multiValueHeaders become repeated headers.
    "multi": {
        "statusCode": 202,
        "headers": {"Content-Type": "text/plain"},
        "multiValueHeaders": {"X-Multi": ["first", "second"]},
        "body": "multi",
    },
    # Malformed for payload 1.0: statusCode must be an integer, body a string.
    "status_string": {"statusCode": "200", "body": "x"},
    "body_object": {"statusCode": 200, "body": {"a": 1}},
    "no_status": {"body": "no status"},
}


def answer(event, context):
    case = _case(event)
    if case == "raise":
        raise ValueError("boom from sig_lambda")
    if case == "sleep":
        time.sleep(3)
        return "slept"
    return ANSWERS[case]


def context_info(event, context):
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "client_context": context.client_context,
        "has_identity": hasattr(context, "identity"),
        "tenant_id": getattr(context, "tenant_id", "missing"),
        "remaining": context.get_remaining_time_in_millis(),
    }
