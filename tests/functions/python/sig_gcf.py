# FUNC_SIGNATURE=gcf: a Flask HTTP function's return values and request, answered as Flask's
# make_response answers them (functions-framework-python __init__.py: the function is the Flask view).
import flask
from flask import abort, jsonify, make_response, render_template, request
from markupsafe import escape


def cases(req):
    case = req.args.get("case")
    if case == "jsonify":
        return jsonify(message="hi", items=[1, 2])
    if case == "dict":
        return {"b": 1, "a": "é"}
    if case == "list":
        return [1, "two"]
    if case == "bytes":
        return b"\x00\x01raw"
    if case == "tuple":
        return "made", 201
    if case == "tuple_headers":
        return "with a header", 202, {"X-Extra": "yes"}
    if case == "headers_only":
        return "typed", {"Content-Type": "text/plain"}
    if case == "make_response":
        response = make_response("cookie set", 200)
        response.set_cookie("session", "abc")
        response.headers["X-Made"] = "1"
        return response
    if case == "escape":
        return f"Hello {escape(req.args.get('name', 'World'))}!"
    if case == "template":  # templates/ beside the function, as the framework's create_app sets it
        return render_template("sig_gcf_greeting.html", name=req.args.get("name", "World"))
    if case == "abort_404":
        abort(404)
    if case == "none":
        return None
    if case == "redirect":
        return flask.redirect("/elsewhere")
    if case == "proxy":  # flask.request is the same request the function was given
        return {"same": request._get_current_object() is req, "path": request.path}
    if case == "silent_json":
        return {"got": req.get_json(silent=True)}
    if case == "echo":
        return {
            "method": req.method, "path": req.path, "full_path": req.full_path, "args": req.args.to_dict(flat=False),
            "header": req.headers.get("X-Custom"), "data": req.get_data(as_text=True), "form": req.form.to_dict(),
            "cookies": req.cookies.to_dict(), "host": req.host, "remote_addr": req.remote_addr,
            "content_length": req.content_length, "url": req.url,
        }
    if case == "raise":
        raise RuntimeError("boom from sig_gcf")
    return "plain"


async def async_view(req):
    return "never"
