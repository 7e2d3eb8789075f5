"""A Kubeless-style function whose dependency (requirements.txt) comes from the install phase."""

import six  # imported at load time, as functions do: the runtime must find it on start-up


def version(event, context):
    return {"six": six.__version__, "file": six.__file__}
