# O-py-4: openfaas/python-flask-template template/python3-flask/function/handler.py (unchanged):
# the classic one-parameter handler, `req` is the request body.
def handle(req):
    """handle a request to the function
    Args:
        req (str): request body
    """

    return req
