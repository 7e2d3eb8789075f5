"""FUNC_SIGNATURE=knative, K-py-3: Knative Functions' Python `cloudevents` template (knative/func@c18d604
templates/python/cloudevents/function/func.py): the request's CloudEvent is `scope["event"]`, and
`await send(response)` answers a structured CloudEvent. Needs the cloudevents 2.x SDK from the
function's own dependencies (the test's deps set `knative`). `binary` sends the same event in binary
mode (`send.binary`, as the template's docstring says)."""

import logging

from cloudevents.core.v1.event import CloudEvent


def new():
    return Function()


class Function:
    async def handle(self, scope, receive, send):
        logging.info("Request Received")
        request = scope["event"]
        response = CloudEvent(
            attributes={
                "type": "function.response",
                "source": "function",
                "id": f"response-{request.get_id() or 'unknown'}"
            },
            data={"message": "OK"}
        )
        if scope["path"] == "/binary":
            await send.binary(response)
        else:
            await send(response)
