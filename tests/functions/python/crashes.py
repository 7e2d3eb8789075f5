"""Calls that take their process down in every way a function can (`x-case` header).

In `call` isolation only the call itself may fail (CONTRACT §5): the others in flight complete.
"""

import ctypes
import logging
import os
import sys
import time

_calls = 0


def dispatch(event, context):
    global _calls
    _calls += 1
    request = event["extensions"]["request"]
    case = request.get_header("x-case", "ok")
    if case == "segfault":
        ctypes.string_at(0)
    if case == "abort":
        os.abort()
    if case == "exit":
        os._exit(1)
    if case == "sys_exit":
        sys.exit(3)
    if case == "memory":
        raise MemoryError()
    if case == "sleep":
        time.sleep(float(request.get_header("x-seconds", "1")))
        return "slept"
    if case == "c_block":  # blocked inside C past the deadline
        print(f"BLOCKING {request.get_header('x-token', '')} {os.getpid()}", flush=True)
        time.sleep(60)
    if case == "gil":  # C code that never releases the GIL and never checks for exceptions
        sum(range(10**12))
    if case == "unsendable":  # a lone surrogate cannot be encoded as UTF-8
        return {"text": "\ud800"}
    if case == "count":  # module globals persist within an executor
        return {"calls": _calls, "pid": os.getpid()}
    if case == "print":
        token = request.get_header("x-token", "")
        print("STDOUT " + token)
        logging.getLogger("fn").warning("LOG " + token)
        return "printed"
    return "ok"

