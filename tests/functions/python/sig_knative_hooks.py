"""FUNC_SIGNATURE=knative: a function object with every lifecycle hook func-python calls
(knative-extensions/func-python@e0720d5 src/func_python/http.py: `start(cfg)` with a copy of the
environment, `stop()`, `alive()` / `ready()` returning a bool or `(bool, message)`), observable:
start and stop print a line, `GET /` answers what start saw, and POSTs make it unwell."""

import os
import sys


def new():
    return Hooks()


class Hooks:
    def __init__(self):
        self.greeting = None
        self.alive_now = True
        self.ready_now = True

    def start(self, cfg):
        self.greeting = cfg.get("KNATIVE_GREETING")
        cfg["KNATIVE_GREETING"] = "changed"  # a copy: the environment stays as it was
        print(f"knative-hooks: start pid={os.getpid()}", flush=True)

    def stop(self):
        print(f"knative-hooks: stop pid={os.getpid()}", flush=True)
        sys.stdout.flush()

    def alive(self):
        return self.alive_now

    def ready(self):
        return (True, "Ready") if self.ready_now else (False, "warming the cache")

    async def handle(self, scope, receive, send):
        if scope["method"] == "POST":
            self.alive_now = scope["path"] != "/sick"
            self.ready_now = scope["path"] != "/busy"
        text = f"{self.greeting} {os.environ.get('KNATIVE_GREETING')} pid={os.getpid()}"
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": text.encode()})
