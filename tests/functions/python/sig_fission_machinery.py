# The machinery cases under FUNC_SIGNATURE=fission (tests/conformance/test_signature_fission.py):
# hello, slow (3 s, not blocking the runtime), boom. The Node.js module has the same handler names.
import time


def hello():
    return "hello"


def slow():
    time.sleep(3)
    return "slow"


def boom():
    raise RuntimeError("boom")
