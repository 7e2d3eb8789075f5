"""What the real Functions Framework answers (test_signature_gcf.py's reference run).

Run as `python gcf_reference.py DEPS SOURCE TARGET KIND` with a JSON list of requests on stdin
(`{"method", "path", "headers", "body_b64"}`); prints the JSON list of answers (`{"status",
"content_type", "google_status", "body_b64"}`). DEPS (the `gcf` deps set: functions-framework, Flask,
cloudevents) goes first on sys.path; the app is the framework's own, built with its public
`create_app` (Flask, KIND `flask`) or `functions_framework.aio.create_asgi_app` (KIND `aio`), and
driven in process by Flask's test client / Starlette's TestClient: no server, no runtime of ours.
One process per function, as the framework's registry is global.
"""

from __future__ import annotations

import base64
import json
import sys
import warnings


def main() -> None:
    deps, source, target, kind = sys.argv[1:5]
    out, sys.stdout = sys.stdout, sys.stderr  # what the function prints stays out of the answers
    sys.path.insert(0, deps)
    requests = json.load(sys.stdin)
    answers = []
    if kind == "flask":
        import functions_framework

        client = functions_framework.create_app(target, source).test_client()
        for request in requests:
            response = client.open(request["path"], method=request["method"], headers=request["headers"],
                                   data=base64.b64decode(request["body_b64"]))
            answers.append((response.status_code, response.headers, response.get_data()))
    else:
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        import functions_framework.aio

        client = TestClient(functions_framework.aio.create_asgi_app(target, source), raise_server_exceptions=False)
        for request in requests:
            response = client.request(request["method"], request["path"], headers=request["headers"],
                                      content=base64.b64decode(request["body_b64"]))
            answers.append((response.status_code, response.headers, response.content))
    json.dump([
        {"status": status, "content_type": headers.get("content-type"), "google_status": headers.get("x-google-status"),
         "body_b64": base64.b64encode(body).decode()}
        for status, headers, body in answers
    ], out)


if __name__ == "__main__":
    main()
