# F-py-2: fission/environments python/tests/src/main.py (unchanged): entrypoints `main` (Fission's
# default main.main) and `func` (entrypoint `main.func`).
def main():
    return 'THIS_IS_MAIN_MAIN'

def func():
    return 'THIS_IS_MAIN_FUNC'
