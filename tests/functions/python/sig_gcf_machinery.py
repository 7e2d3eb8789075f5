# The machinery cases under FUNC_SIGNATURE=gcf (tests/conformance/test_signature_gcf.py): hello,
# slow (3 s, not blocking the runtime), boom. The Node.js module has the same handler names.
import time

import functions_framework


@functions_framework.http
def hello(request):
    return "hello"


@functions_framework.http
def slow(request):
    time.sleep(3)
    return "slow"


@functions_framework.http
def boom(request):
    raise RuntimeError("boom")
