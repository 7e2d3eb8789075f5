# The Python twin of sig_openwhisk_exported.js (a plain `main`), for the cases both languages share.
def main(args):
    return {"body": "exported " + args.get("name", "nobody")}
