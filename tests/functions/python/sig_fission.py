# FUNC_SIGNATURE=fission: main() reads Flask's request global; any Flask return value
# (fission/environments python/server.py: the function is the Flask view, `userfunc()`).
import time

from flask import Response, abort, jsonify, request


def main():
    case = request.args.get("case")
    if case == "echo":
        return jsonify(
            method=request.method, path=request.path, args=request.args.to_dict(flat=False),
            header=request.headers.get("X-Custom"), data=request.get_data(as_text=True),
            json=request.get_json(silent=True), form=request.form.to_dict(),
        )
    if case == "tuple":
        return "too much contention\n", 500
    if case == "dict":
        return {"ok": True}
    if case == "response":
        return Response("<p>teapot</p>", status=418, mimetype="text/html", headers={"X-Extra": "yes"})
    if case == "abort":
        abort(401)
    if case == "none":
        return None
    if case == "stream":
        def numbers():
            for n in range(3):
                yield f"{n}\n"
        return Response(numbers(), mimetype="text/plain")
    if case == "slow_echo":  # the request global read again after a pause: still this call's
        first = request.args["n"]
        time.sleep(0.3)
        return f"{first} {request.args['n']} {request.headers['x-n']}"
    if case == "raise":
        raise RuntimeError("boom from sig_fission")
    return "plain\n"


def takes_args(event, context):
    return "never"


async def async_main():
    return "never"
