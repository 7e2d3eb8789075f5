# F-py-1: fission/environments python/tests/fixtures/hello.py (unchanged).
def main():
    return "Hello, world!\n"
