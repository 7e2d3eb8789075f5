# G-py-1: functions-framework-python examples/cloud_run_http/main.py: an undecorated HTTP function.
def hello(request):
    return "Hello world!"
