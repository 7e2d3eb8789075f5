"""FUNC_SIGNATURE=knative, K-py-1: Knative Functions' Python `http` template, as `func create -l python`
writes it (knative/func@c18d604 templates/python/http/function/func.py): `new()` returns the function
object; its ASGI `handle` answers 200 `text/plain` `OK`; `start`, `stop`, `alive`, `ready` as the
template has them (logging only, `(True, "Alive")`, `(True, "Ready")`)."""

import logging


def new():
    return Function()


class Function:
    def __init__(self):
        pass

    async def handle(self, scope, receive, send):
        logging.info("OK: Request Received")
        await send({
            'type': 'http.response.start',
            'status': 200,
            'headers': [
                [b'content-type', b'text/plain'],
            ],
        })
        await send({
            'type': 'http.response.body',
            'body': 'OK'.encode(),
        })

    def start(self, cfg):
        logging.info("Function starting")

    def stop(self):
        logging.info("Function stopping")

    def alive(self):
        return True, "Alive"

    def ready(self):
        return True, "Ready"
