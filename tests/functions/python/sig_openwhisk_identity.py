# W-py-2: OpenWhisk's docs/actions-python.md identity action (the doc's code, unchanged).
def main(args):
    return args
