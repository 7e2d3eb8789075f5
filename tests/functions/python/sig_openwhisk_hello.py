# W-py-1: OpenWhisk's docs/actions-python.md `hello.py` (the doc's code, unchanged).
def main(args):
    name = args.get("name", "stranger")
    greeting = "Hello " + name + "!"
    print(greeting)
    return {"greeting": greeting}
