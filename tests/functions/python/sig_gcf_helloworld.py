# G-py-3: GoogleCloudPlatform/python-docs-samples functions/helloworld/main.py (the HTTP functions of
# foreign-signatures.md §2's snapshot, re-created: same requests read, same values returned).
import sys  # noqa: F401 - as the sample


def hello_get(request):
    return 'Hello, World!'


def hello_http(request):
    request_json = request.get_json()
    if request_json and 'message' in request_json:
        name = request_json['message']
    else:
        name = 'World'
    return 'Hello, {}!'.format(name)


def hello_content(request):
    content_type = request.headers['content-type']
    if content_type == 'application/json':
        name = request.json.get('name')
    elif content_type == 'application/octet-stream':
        name = request.data
    elif content_type == 'text/plain':
        name = request.data
    elif content_type == 'application/x-www-form-urlencoded':
        name = request.form.get('name')
    else:
        raise ValueError("Unknown content type: {}".format(content_type))
    return 'Hello, {}!'.format(name)


def hello_method(request):
    from flask import abort

    if request.method == 'GET':
        return 'Hello, World!'
    elif request.method == 'PUT':
        return abort(403)
    else:
        return abort(405)


def hello_error_1(request):
    raise RuntimeError('I failed you')


def hello_error_2(request):
    from flask import abort

    print(RuntimeError('I failed you (print to stdout)'))
    sys.stderr.write('I failed you (sys.stderr.write)\n')
    return abort(500)
