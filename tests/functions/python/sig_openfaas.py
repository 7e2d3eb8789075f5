"""FUNC_SIGNATURE=openfaas (issue 11, SHARED-DECISIONS-11 "openfaas"): the python3-http template's
`handle(event, context)`.

`event.query['case']` picks what to answer. Most cases are the README's own examples (O-py-2, O-py-3:
`openfaas/python-flask-template` README.md "Example usage"), each the body of the doc's `handle`;
`event` shows what the function got; the others are the template's result mapping (index.py
`format_response`) and what Flask makes of a non-dict result.
"""

import base64
import time


def handle(event, context):
    case = event.query.get("case")

    # README "Return a JSON body with a Content-Type"
    if case == "json_ct":
        return {
            "statusCode": 200,
            "body": {"message": "Hello from OpenFaaS!"},
            "headers": {
                "Content-Type": "application/json"
            }
        }
    # O-py-2: README "Custom status codes and response bodies"
    if case == "json":
        return {
            "statusCode": 200,
            "body": {
                "key": "value"
            }
        }
    if case == "created":
        return {
            "statusCode": 201,
            "body": "Object successfully created"
        }
    if case == "bad":
        return {
            "statusCode": 400,
            "body": {
                "error": "Bad request"
            }
        }
    # O-py-2: README "Custom Response Headers"
    if case == "location":
        return {
            "statusCode": 200,
            "body": {
                "key": "value"
            },
            "headers": {
                "Location": "https://www.example.com/"
            }
        }
    # O-py-3: README "Accessing Event Data"
    if case == "said":
        return {
            "statusCode": 200,
            "body": "You said: " + str(event.body)
        }
    if case == "method":
        if event.method == 'GET':
            return {
                "statusCode": 200,
                "body": "GET request"
            }
        else:
            return {
                "statusCode": 405,
                "body": "Method not allowed"
            }
    if case == "query":
        return {
            "statusCode": 200,
            "body": {
                "name": event.query['name']
            }
        }
    if case == "headers":
        return {
            "statusCode": 200,
            "body": {
                "content-type-received": event.headers.get('Content-Type')
            }
        }

    # The suite's own.
    if case == "event":
        return {"statusCode": 200, "body": {
            "method": event.method,
            "path": event.path,
            "query_item": event.query["a"],
            "query_get": event.query.get("a"),
            "query_missing": event.query.get("missing"),
            "body_type": type(event.body).__name__,
            "body_b64": base64.b64encode(event.body).decode("ascii"),
            "header_get_lower": event.headers.get("x-custom"),
            "header_get_upper": event.headers.get("X-CUSTOM"),
            "header_item": event.headers["X-Custom"],
            "header_missing": event.headers.get("x-missing"),
            "hostname": context.hostname,
        }}
    if case == "none":
        return None
    if case == "status_only":
        return {"statusCode": 202}
    if case == "list_body":
        return {"body": [1, "two"]}
    if case == "string":
        return "plain string"
    if case == "tuple":
        return ("made", 201)
    if case == "tuple_headers":
        return ("with a header", 202, {"X-Extra": "yes"})
    if case == "list":
        return [1, "two"]
    if case == "raise":
        raise ValueError("boom from sig_openfaas")
    if case == "sleep":
        time.sleep(3)
        return "slept"
    return {"statusCode": 200, "body": "no case"}
