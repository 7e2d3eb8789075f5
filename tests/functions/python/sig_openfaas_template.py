# O-py-1: openfaas/python-flask-template template/python3-http/function/handler.py (unchanged).
def handle(event, context):
    return {
        "statusCode": 200,
        "body": "Hello from OpenFaaS!"
    }
