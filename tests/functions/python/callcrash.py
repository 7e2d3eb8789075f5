"""Call isolation (CONTRACT §5): calls that end their executor, chosen by the `x-case` header.
The Node.js twin is tests/functions/nodejs/callcrash.js."""

import os
import threading
import time

calls = 0  # module state: lives as long as its executor


def dispatch(event, context):
    global calls
    calls += 1
    request = event["extensions"]["request"]
    case = request.get_header("x-case", "ok")
    if case == "exit":
        os._exit(1)
    if case == "abort":
        os.abort()
    if case == "timer":
        # The process dies from a callback of the call's own (a timer thread), while the call waits.
        threading.Timer(0.02, os._exit, (1,)).start()
        time.sleep(5)
        return "not reached"
    if case == "spin":
        while True:
            pass
    if case == "sleep":
        time.sleep(float(request.get_header("x-seconds", "1")))
        return "slept"
    if case == "pid":
        return {"pid": os.getpid(), "calls": calls}
    return "ok"
