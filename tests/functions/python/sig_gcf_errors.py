# functions-framework-python README.md "Quickstart: Error handling" (re-created): a handler
# registered with @functions_framework.errorhandler answers the function's ZeroDivisionError.
import functions_framework


@functions_framework.errorhandler(ZeroDivisionError)
def handle_zero_division(e):
    return "I'm a teapot", 418


def function(request):
    1 / 0
    return "Success", 200
