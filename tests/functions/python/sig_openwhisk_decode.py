# W-py-3: OpenWhisk's docs/webactions.md "Decoding binary body content from Base64", Python.
# Adapted: the doc uses the Python 2 idiom `.decode('base64')`; Python 3 spells it base64.b64decode
# (and the bare `except:` is kept as the doc has it).
import base64


def main(args):
    try:
        decoded = base64.b64decode(args['__ow_body']).decode('utf-8').strip()
        return {"body": decoded}
    except:  # noqa: E722 (the doc's code)
        return {"body": "Could not decode body from Base64."}
