# F-py-3: fission/examples python/stateful_counter.py, re-created: a per-user counter kept in
# Fission's function state API (FISSION_STATE_URL, credentials in the JSON file at
# FISSION_STATE_TOKEN_PATH), read and compare-and-swapped over plain HTTP; `request.args` from
# Flask's request global. The test serves a stand-in of the state API on loopback.
import json
import os
import urllib.error
import urllib.request

from flask import request


def _state_call(method, key, value=None, if_version=None):
    with open(os.environ["FISSION_STATE_TOKEN_PATH"]) as f:
        creds = json.load(f)
    headers = {
        "Authorization": "Bearer " + creds["token"],
        "X-Fission-State-Namespace": creds["namespace"],
        "X-Fission-State-Keyspace": creds["keyspace"],
    }
    if if_version is not None:
        headers["If-Match"] = str(if_version)
    url = os.environ["FISSION_STATE_URL"] + "/v1/state/" + key
    req = urllib.request.Request(url, data=value, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def main():
    user = request.args.get("user", "anon")
    for _ in range(10):
        status, body, headers = _state_call("GET", user)
        value, version = (None, 0) if status == 404 else (body.decode(), int(headers.get("X-Fission-State-Version", 0)))
        nxt = (int(value) if value is not None else 0) + 1
        if _state_call("PUT", user, str(nxt).encode(), version)[0] == 204:
            return f"{user}: {nxt}\n"
    return "too much contention\n", 500
