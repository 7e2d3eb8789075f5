"""FUNC_SIGNATURE=lambda (payload 2.0: a Function URL / HTTP API) and lambda-v1 (payload 1.0: REST API).

`handler(event, context)`: the event is the JSON a Function URL (2.0) or an API Gateway REST proxy
integration (1.0) would build from the HTTP request (foreign-signatures.md §1, the developer
guide's `urls-invocation.md` and `sample-apps/nodejs-apig/event*.json`); the context is a
`LambdaContext` like the Python runtime interface client's, its remaining time from the call's
deadline. `async def` handlers are awaited (Lambda is sync-only: an extension).

What a real Function URL knows and we cannot is fixed (documented in the README): accountId
`123456789012`; apiId and domainPrefix the Host's first label; domainName the Host header.

The result, 2.0: a dict with `statusCode` is an HTTP answer (`headers`, `cookies` → Set-Cookie,
`body`, `isBase64Encoded`); anything else is 200 `application/json` with the JSON of the value.
1.0: the result must be the proxy integration's object, else 502 "malformed Lambda proxy response".

Also with both: the runtime interface emulator's invoke endpoint, `POST
/2015-03-31/functions/function/invocations`: the body is the event (empty: `{}`), the answer the
JSON of the result, an exception `200` + `X-Amz-Function-Error: Unhandled` + the error object.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from ..call import decode_json
from ..responses import APPLICATION_JSON, ConversionError, Reply, check_headers
from ..tracebacks import user_frames
from . import FailedAnswer, Request, is_text_type, text_or_base64

INVOKE_PATH = "/2015-03-31/functions/function/invocations"
ACCOUNT_ID = "123456789012"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNHANDLED = (b"x-amz-function-error", b"Unhandled")


def request_time(now: float) -> str:
    """`12/Mar/2020:19:03:58 +0000`, API Gateway's requestContext time."""
    t = time.gmtime(now)
    return "%02d/%s/%04d:%02d:%02d:%02d +0000" % (t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec)


def memory_in_mb(limit: str | None) -> str:
    """FUNC_MEMORY_LIMIT (a Kubernetes quantity: 128Mi, 1Gi, 256M, 134217728) in MiB, as Lambda's string; else "128"."""
    if not limit:
        return "128"
    text = limit.strip()
    units = {
        "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40,
        "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    }
    factor = 1
    for suffix in sorted(units, key=len, reverse=True):
        if text.endswith(suffix):
            text, factor = text[: -len(suffix)], units[suffix]
            break
    try:
        value = float(text) * factor
    except ValueError:
        return "128"
    return str(max(1, int(value // (1 << 20))))


class CognitoIdentity:
    """`context.identity`, as the runtime interface client has it (never set for an HTTP call)."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self) -> None:
        self.cognito_identity_id = None
        self.cognito_identity_pool_id = None

    def __repr__(self) -> str:
        return "CognitoIdentity([cognito_identity_id=None,cognito_identity_pool_id=None])"


class LambdaContext:
    """The Python runtime interface client's context object (lambda_context.py), for one call."""

    __slots__ = (
        "aws_request_id", "function_name", "function_version", "invoked_function_arn", "memory_limit_in_mb",
        "log_group_name", "log_stream_name", "identity", "client_context", "tenant_id", "_deadline",
    )

    def __init__(self, fixed: dict[str, str], request_id: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.function_name = fixed["function_name"]
        self.function_version = fixed["function_version"]
        self.invoked_function_arn = fixed["invoked_function_arn"]
        self.memory_limit_in_mb = fixed["memory_limit_in_mb"]
        self.log_group_name = fixed["log_group_name"]
        self.log_stream_name = fixed["log_stream_name"]
        self.identity = CognitoIdentity()
        self.client_context = None
        self.tenant_id = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the call's deadline (the runtime's 408), never below 0."""
        return max(0, int((self._deadline - time.time()) * 1000))

    def log(self, message: str) -> None:
        print(message, end="" if str(message).endswith("\n") else "\n")

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context=None,identity={self.identity}])"
        )


def _default(value: Any) -> Any:
    """What the runtime interface client's JSON encoder adds: Decimal as a number."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def to_json(value: Any) -> bytes:
    try:
        return json.dumps(value, default=_default, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ConversionError(f"the function returned a value that is not JSON-serialisable: {exc}") from None


def _header_value(name: str, value: Any) -> bytes:
    if isinstance(value, bool):
        value = "true" if value else "false"
    if not isinstance(value, str | int | float):
        raise ConversionError(f"the header {name!r} must be a string or a number, got {type(value).__name__}")
    try:
        return str(value).encode("latin-1")
    except UnicodeEncodeError:
        raise ConversionError(f"the header {name!r} must be latin-1 text, got {value!r}") from None


def _body_bytes(body: Any, base64_encoded: Any) -> bytes:
    if body is None:
        return b""
    if not isinstance(body, str):
        raise ConversionError(f"the response's body must be a string, got {type(body).__name__}")
    if base64_encoded:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ConversionError("the response's body is marked isBase64Encoded but is not base64") from None
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ConversionError(f"the response's body is not valid Unicode: {exc}") from None


class _Invocation:
    __slots__ = ("args", "adapter", "event_id")

    def __init__(self, adapter: LambdaAdapter, args: tuple[Any, ...], event_id: str) -> None:
        self.adapter = adapter
        self.args = args
        self.event_id = event_id

    def error(self, exc: BaseException) -> Reply | None:
        return None  # the contract's 500 (a Function URL answers 502 "Internal Server Error")


class _Http2(_Invocation):
    """Payload 2.0: `statusCode` makes it an HTTP answer; anything else is sent as JSON (urls-invocation.md)."""

    __slots__ = ()

    def answer(self, result: Any) -> Reply:
        if type(result) is not dict or "statusCode" not in result:
            return Reply(200, [APPLICATION_JSON], to_json(result))
        status = result["statusCode"]
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ConversionError(f"statusCode must be an integer from 100 to 599, got {status!r}")
        headers = _headers(result.get("headers"), "headers")
        cookies = result.get("cookies")
        if cookies is not None:
            if not isinstance(cookies, list):
                raise ConversionError(f"cookies must be a list of strings, got {type(cookies).__name__}")
            headers.extend((b"set-cookie", _header_value("cookies", c)) for c in cookies)
        check_headers(headers)
        body = _body_bytes(result.get("body"), result.get("isBase64Encoded"))
        if body and not any(name == b"content-type" for name, _ in headers):
            headers.append(APPLICATION_JSON)  # a Function URL's default type
        return Reply(status, headers, body)


def _headers(raw: Any, field: str) -> list[tuple[bytes, bytes]]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise ConversionError(f"{field} must be an object, got {type(raw).__name__}")
    out = []
    for name, value in raw.items():
        try:
            key = str(name).encode("latin-1").lower()
        except UnicodeEncodeError:
            raise ConversionError(f"a header name must be latin-1 text, got {name!r}") from None
        if key == b"content-length":
            continue  # the runtime sends the real one
        out.append((key, _header_value(name, value)))
    return out


class _Http1(_Invocation):
    """Payload 1.0: the REST proxy integration's object, or 502 (knowledge-center malformed-502-api-gateway)."""

    __slots__ = ()

    def answer(self, result: Any) -> Reply:
        try:
            return self._answer(result)
        except (ConversionError, _Malformed) as exc:
            text = f"Bad Gateway: malformed Lambda proxy response (event-id: {self.event_id})".encode()
            raise FailedAnswer(
                Reply(502, [(b"content-type", b"text/plain; charset=utf-8")], text),
                f"error: event-id={self.event_id}: malformed Lambda proxy response: {exc}",
            ) from None

    @staticmethod
    def _answer(result: Any) -> Reply:
        if type(result) is not dict:
            raise _Malformed(f"the result must be an object, got {_kind(result)}")
        allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
        extra = sorted(set(result) - allowed)
        if extra:
            raise _Malformed(f"unexpected field {extra[0]!r}")
        status = result.get("statusCode")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise _Malformed(f"statusCode must be an integer from 100 to 599, got {status!r}")
        headers = result.get("headers")
        if headers is not None and (
            not isinstance(headers, dict) or not all(isinstance(v, str | int | float) for v in headers.values())
        ):
            raise _Malformed("headers must be an object of strings")
        multi = result.get("multiValueHeaders")
        if multi is not None and (
            not isinstance(multi, dict) or not all(isinstance(v, list) for v in multi.values())
        ):
            raise _Malformed("multiValueHeaders must be an object of lists")
        body = result.get("body")
        if body is not None and not isinstance(body, str):
            raise _Malformed(f"body must be a string or null, got {_kind(body)}")
        flag = result.get("isBase64Encoded", False)
        if not isinstance(flag, bool):
            raise _Malformed(f"isBase64Encoded must be a boolean, got {_kind(flag)}")
        out = _headers(headers, "headers")
        single = {name for name, _ in out}
        for name, values in (multi or {}).items():
            key = str(name).encode("latin-1", "replace").lower()
            if key == b"content-length":
                continue
            if key in single:  # headers and multiValueHeaders both: API Gateway sends the multi values
                out = [(n, v) for n, v in out if n != key]
                single.discard(key)
            out.extend((key, _header_value(name, v)) for v in values)
        check_headers(out)
        payload = _body_bytes(body, flag)
        if payload and not any(name == b"content-type" for name, _ in out):
            out.append(APPLICATION_JSON)  # API Gateway's default type
        return Reply(status, out, payload)


class _Malformed(Exception):
    pass


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class _Invoke(_Invocation):
    """The runtime interface emulator's endpoint: the JSON of the result, or RIE's error object."""

    __slots__ = ()

    def answer(self, result: Any) -> Reply:
        if isinstance(result, bytes | bytearray):  # passed through as is (lambda_runtime_marshaller.py)
            return Reply(200, [(b"content-type", b"application/unknown")], bytes(result))
        return Reply(200, [APPLICATION_JSON], to_json(result))

    def error(self, exc: BaseException) -> Reply | None:
        error = {  # the runtime interface client's error object (bootstrap.py), as RIE passes it on
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "requestId": self.event_id,
            "stackTrace": user_frames(exc),
        }
        return Reply(200, [APPLICATION_JSON, _UNHANDLED], json.dumps(error, default=str).encode("utf-8"))


class LambdaAdapter:
    def __init__(self, settings: Any, function: Any, version: str) -> None:
        self.version = version
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or settings.function_name
        region = os.environ.get("AWS_REGION") or "us-east-1"
        stream_day = time.strftime("%Y/%m/%d", time.gmtime())
        self.fixed = {
            "function_name": name,
            "function_version": "$LATEST",
            "invoked_function_arn": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}",
            "memory_limit_in_mb": memory_in_mb(settings.memory_limit),
            "log_group_name": f"/aws/lambda/{name}",
            "log_stream_name": f"{stream_day}/[$LATEST]{os.urandom(16).hex()}",
        }

    def invocation(self, request: Request) -> _Invocation:
        context = LambdaContext(self.fixed, request.event_id, request.deadline)
        scope = request.scope
        if scope["path"] == INVOKE_PATH and scope["method"] == "POST":
            event = decode_json(request.body) if request.body else {}  # BadJson: 400
            return _Invoke(self, (event, context), request.event_id)
        if self.version == "2.0":
            return _Http2(self, (self.event_v2(request), context), request.event_id)
        return _Http1(self, (self.event_v1(request), context), request.event_id)

    # -- events ------------------------------------------------------------------------------------

    @staticmethod
    def _body(request: Request) -> tuple[str | None, bool]:
        if not request.body:
            return None, False
        return text_or_base64(request.body, is_text_type(request.media_type()))

    @staticmethod
    def _host(request: Request) -> tuple[str, str]:
        host = request.header(b"host") or "localhost"
        prefix = host.split(":", 1)[0].split(".", 1)[0] if not host.startswith("[") else host
        return host, prefix

    @staticmethod
    def _client(request: Request) -> str:
        client = request.scope.get("client")
        return str(client[0]) if client else ""

    @staticmethod
    def _path(request: Request) -> str:
        raw = request.scope.get("raw_path")
        return raw.decode("latin-1") if raw else request.scope["path"]

    def event_v2(self, request: Request) -> dict[str, Any]:
        """The Function URL event, payload 2.0 (urls-invocation.md "Request payload")."""
        scope = request.scope
        query = scope["query_string"].decode("latin-1")
        host, prefix = self._host(request)
        path = self._path(request)
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": query,
        }
        cookie = request.header(b"cookie")
        if cookie is not None:
            event["cookies"] = [c.strip() for c in cookie.split(";") if c.strip()]
        event["headers"] = request.joined_headers(",", skip=b"cookie")
        if query:
            params: dict[str, str] = {}
            for key, value in parse_qsl(query, keep_blank_values=True):
                params[key] = params[key] + "," + value if key in params else value
            event["queryStringParameters"] = params
        event["requestContext"] = {
            "accountId": ACCOUNT_ID,
            "apiId": prefix,
            "domainName": host,
            "domainPrefix": prefix,
            "http": {
                "method": scope["method"],
                "path": path,
                "protocol": "HTTP/" + scope.get("http_version", "1.1"),
                "sourceIp": self._client(request),
                "userAgent": request.header(b"user-agent") or "",
            },
            "requestId": request.event_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": request_time(request.now),
            "timeEpoch": int(request.now * 1000),
        }
        body, encoded = self._body(request)
        if body is not None:
            event["body"] = body
        event["isBase64Encoded"] = encoded
        return event

    def event_v1(self, request: Request) -> dict[str, Any]:
        """The REST API proxy event, payload 1.0 (sample-apps/nodejs-apig/event.json), for a `/{proxy+}` resource."""
        scope = request.scope
        host, prefix = self._host(request)
        path = self._path(request)
        headers: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in scope["headers"]:
            key, text = name.decode("latin-1"), value.decode("latin-1")
            headers[key] = text  # the last one, as API Gateway's single-value map
            multi.setdefault(key, []).append(text)
        params: dict[str, str] = {}
        multi_params: dict[str, list[str]] = {}
        for key, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
            params[key] = value
            multi_params.setdefault(key, []).append(value)
        resource = "/{proxy+}" if path != "/" else "/"
        agent = request.header(b"user-agent")
        body, encoded = self._body(request)
        return {
            "resource": resource,
            "path": path,
            "httpMethod": scope["method"],
            "headers": headers or None,
            "multiValueHeaders": multi or None,
            "queryStringParameters": params or None,
            "multiValueQueryStringParameters": multi_params or None,
            "pathParameters": {"proxy": path[1:]} if path != "/" else None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": prefix,
                "resourcePath": resource,
                "httpMethod": scope["method"],
                "requestTime": request_time(request.now),
                "path": path,
                "accountId": ACCOUNT_ID,
                "protocol": "HTTP/" + scope.get("http_version", "1.1"),
                "stage": "$default",
                "domainPrefix": prefix,
                "requestTimeEpoch": int(request.now * 1000),
                "requestId": request.event_id,
                "identity": {
                    "cognitoIdentityPoolId": None,
                    "accountId": None,
                    "cognitoIdentityId": None,
                    "caller": None,
                    "sourceIp": self._client(request),
                    "principalOrgId": None,
                    "accessKey": None,
                    "cognitoAuthenticationType": None,
                    "cognitoAuthenticationProvider": None,
                    "userArn": None,
                    "userAgent": agent,
                    "user": None,
                },
                "domainName": host,
                "apiId": prefix,
            },
            "body": body,
            "isBase64Encoded": encoded,
        }
