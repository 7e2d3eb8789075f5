"""A module whose every forked process (worker or executor) dies at once: a start-up crash loop."""

import os

os.register_at_fork(after_in_child=lambda: os._exit(7))


def main(event, context):
    return "never served"
