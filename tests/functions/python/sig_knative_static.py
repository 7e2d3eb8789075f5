"""FUNC_SIGNATURE=knative, K-py-2: func-python's own example (knative-extensions/func-python@e0720d5
cmd/fhttp/main.py): the static handler, a module-level `async def handle(scope, receive, send)`
answering 200 `text/plain` `OK: static`, and the instanced one (`new()`) answering `OK: instanced`
with `alive`, `ready` and `stop` hooks."""

import logging


async def handle(scope, receive, send):
    logging.info("Static HTTP handler invoked")
    await send({
        'type': 'http.response.start',
        'status': 200,
        'headers': [[b'content-type', b'text/plain']],
    })
    await send({
        'type': 'http.response.body',
        'body': 'OK: static'.encode(),
    })


class MyFunction:
    async def handle(self, scope, receive, send):
        logging.info("OK")
        await send({
            'type': 'http.response.start',
            'status': 200,
            'headers': [[b'content-type', b'text/plain']],
        })
        await send({
            'type': 'http.response.body',
            'body': 'OK: instanced'.encode(),
        })

    def alive(self):
        logging.info("liveness checked")
        return True, "I'm alive!"

    def ready(self):
        logging.info("readiness checked")
        return True, "I'm ready!"

    def stop(self):
        logging.info("Cleanup on stop")


def new():
    return MyFunction()
