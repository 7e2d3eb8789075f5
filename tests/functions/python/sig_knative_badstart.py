"""FUNC_SIGNATURE=knative: a function object whose start(cfg) fails (func-python answers a failed
lifespan startup: the server does not start)."""


class Function:
    def start(self, cfg):
        raise KeyError("DATABASE_URL")

    async def handle(self, scope, receive, send):
        raise AssertionError("never called")


def new():
    return Function()
