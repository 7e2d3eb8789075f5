"""An executor process (CONTRACT §5, `call` isolation): runs the function's calls one at a time.

The supervisor forks it (the function's module already imported, so it is ready in milliseconds,
its globals built once) on a socket the worker sent along; from then on it talks only to that
worker, over length-prefixed frames of plain values (tuples, bytes, str, numbers, lists, dicts)
serialised with `marshal`: both ends are the same interpreter, and marshal is about twice as fast
as pickle on these. Nothing but the runtime's own frames crosses it:

    worker → executor   ("c", event_id, arrival, deadline, scope fields, headers, body, trace)   a call
    executor → worker   ("ready", pid)                                once, when it can take calls
                        ("r", status, headers, body, began)           a complete answer
                        ("bad", text)                                 400: malformed JSON, not a call
                        ("err", retire, began)                        500: the function raised (logged here)
                        ("f", status, headers, body, began)           a signature's answer that counts as a
                                                                      failure (logged here)
                        ("s", status, headers, began), ("c", chunk)…, ("e", outcome)   a streamed answer
                        ("a", asgi message, began), ("a", asgi message)…, ("e", outcome)   a Starlette Response

`began` is when the function was called (time.monotonic(), CLOCK_MONOTONIC: the worker's clock too),
for the worker's `function_queue_seconds`; `trace` is the call's trace context (tracecontext.py),
made by the worker. With JSON logs the executor's output is written as records of the call it runs
(capture.py: one call at a time, so the call is the process's).

The worker owns the connection, the deadline and the counts: it SIGKILLs an executor whose call
is past its deadline, and answers 500 for one that dies. SIGUSR1 from the worker means the client
of a streamed answer went away: the generator is stopped where it is and closed. An executor exits
when the worker closes its socket (idle, or the worker is gone) and with its parent
(PR_SET_PDEATHSIG). It never forks.
"""

from __future__ import annotations

import asyncio
import ctypes
import marshal
import os
import signal
import socket
import struct
import sys
import time
import traceback
from typing import Any, NoReturn

from . import capture, runtimelog
from .call import BadJson, decode_json, is_json, log_error, log_unsendable, make_context, make_event
from .leave import leave
from .loader import LoadedFunction
from .responses import Reply, StarletteResponse, Stream, check_start, convert, encode_chunk, is_http_response
from .settings import Settings
from .signatures import FailedAnswer, Request, bind
from .signatures.lifecycle import StartFailed
from .tracecontext import Trace

HEADER = struct.Struct("<I")
RECV_SIZE = 64 * 1024  # a whole small request in one read; larger ones take a second
_PR_SET_PDEATHSIG = 1


def frame(message: Any) -> bytes:
    data = marshal.dumps(message)
    return HEADER.pack(len(data)) + data


def unframe(data: bytes | bytearray | memoryview) -> Any:
    return marshal.loads(data)


class ClientGone(BaseException):
    """Raised in the executor by SIGUSR1 while a streamed answer runs: its client went away."""


class _Exit(BaseException):
    """The function called sys.exit(): the executor exits with that code, as the function asked."""

    def __init__(self, code: int) -> None:
        self.code = code


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    sys.stderr.write(f"{exc.code}\n")
    return 1


class Executor:
    def __init__(self, sock: socket.socket, loaded: LoadedFunction, settings: Settings) -> None:
        self.sock = sock
        self.adapter = loaded.adapter  # FUNC_SIGNATURE's (signatures/); None: the contract's event and context
        # Called as function(event, context) either way: with a signature, as (invocation, None) (signatures.bind).
        self.function = loaded.function if self.adapter is None else bind(loaded.function, loaded.is_async, self.adapter)
        self.is_async = loaded.is_async
        self.is_async_gen = loaded.is_async_gen
        self.settings = settings
        self.buffer = bytearray(RECV_SIZE)
        self.view = memoryview(self.buffer)
        self.streaming = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- frames ----------------------------------------------------------------------------------

    def _recv_exactly(self, view: memoryview) -> bool:
        while view:
            got = self.sock.recv_into(view)
            if got == 0:
                return False
            view = view[got:]
        return True

    def receive(self) -> Any:
        """The next frame from the worker, or None when it closed the socket.

        The worker sends one frame and waits for the answer, so a frame never shares a read with the
        next: one `recv` into a reused buffer gets a whole small request.
        """
        got = self.sock.recv_into(self.buffer)
        while got < HEADER.size:
            if got == 0:
                return None
            more = self.sock.recv_into(self.view[got:])
            if more == 0:
                return None
            got += more
        end = HEADER.size + HEADER.unpack_from(self.buffer)[0]
        if end <= got:
            return unframe(self.view[HEADER.size : end])
        data = bytearray(end - HEADER.size)
        data[: got - HEADER.size] = self.view[HEADER.size : got]
        if not self._recv_exactly(memoryview(data)[got - HEADER.size :]):
            return None
        return unframe(data)

    def send(self, message: Any) -> None:
        self.sock.sendall(frame(message))

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:  # only for async functions or awaitable results in call isolation
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
        return self._loop

    # -- calls -----------------------------------------------------------------------------------

    def serve(self) -> None:
        lifecycle = getattr(self.adapter, "lifecycle", None)  # FUNC_SIGNATURE=knative: start(cfg) here, stop() at the end
        if lifecycle is not None:
            lifecycle.start()  # StartFailed: this executor never gets ready (a start-up failure)
        try:
            self._serve()
        finally:
            if lifecycle is not None:
                lifecycle.stop()

    def _serve(self) -> None:
        self.send(("ready", os.getpid()))
        json_logs = self.settings.log_format == "json"
        while True:
            message = self.receive()
            if message is None:
                return
            if json_logs:
                capture.begin_process_call(message[1], Trace(*message[7]))
                try:
                    self.call(*message[1:])
                finally:
                    capture.end_process_call()
            else:
                self.call(*message[1:])

    def call(
        self, event_id: str, arrival: str, deadline: float, fields: tuple, header_list: list, body: bytes, trace: tuple
    ) -> None:
        method, path, raw_path, query, client, server, scheme, http_version, root_path = fields
        scope = {
            "type": "http", "method": method, "path": path, "raw_path": raw_path, "query_string": query,
            "headers": header_list, "client": client, "server": server, "scheme": scheme,
            "http_version": http_version, "root_path": root_path,
        }
        headers = dict(header_list)
        settings = self.settings
        invocation = None
        try:
            if self.adapter is None:
                content_type = headers.get(b"content-type")
                data: Any = decode_json(body) if is_json(content_type) else body
                event = make_event(scope, headers, body, data, event_id, arrival)
                context = make_context(
                    settings.function_name, settings.timeout, settings.runtime, settings.memory_limit, deadline, trace  # type: ignore[arg-type]
                )
            else:  # FUNC_SIGNATURE: the adapter makes the function's arguments, and later its answer
                request = Request(scope, headers, body, event_id, deadline - settings.timeout, deadline, Trace(*trace))
                invocation = self.adapter.invocation(request)
                event, context = invocation, None
        except BadJson as exc:
            self.send(("bad", exc.text))
            return
        began = time.monotonic()
        try:
            try:
                if self.is_async and not self.is_async_gen:
                    result = self.loop.run_until_complete(self.function(event, context))
                else:
                    result = self.function(event, context)
                    if hasattr(result, "__await__"):
                        result = self.loop.run_until_complete(result)
            except SystemExit as exc:
                raise _Exit(_exit_code(exc)) from None
            except BaseException as exc:
                if invocation is not None or not is_http_response(exc):
                    raise
                result = exc
        except _Exit:
            raise
        except BaseException as exc:
            log_error(event_id, exc)
            reply = invocation.error(exc) if invocation is not None and not isinstance(exc, MemoryError) else None
            if reply is not None:  # a signature's answer to an exception (the Lambda invoke endpoint's)
                self.send(("f", int(reply.status), reply.headers, bytes(reply.body), began))
            else:
                self.send(("err", isinstance(exc, MemoryError), began))  # after a MemoryError, start afresh
            return
        try:
            answer = convert(result) if invocation is None else invocation.answer(result)
            if type(answer) is Reply:
                reply = frame(("r", int(answer.status), answer.headers, bytes(answer.body), began))
        except FailedAnswer as exc:  # a signature's answer that counts as a failure (Lambda 1.0's 502)
            runtimelog.error(exc.line)
            self.send(("f", int(exc.reply.status), exc.reply.headers, bytes(exc.reply.body), began))
            return
        except Exception as exc:  # noqa: BLE001 - the runtime's conversion failed, not the function
            log_unsendable(event_id, exc)
            self.send(("err", False, began))
            return
        if type(answer) is Reply:
            self.sock.sendall(reply)
        elif type(answer) is Stream:
            self.stream(answer, event_id, began)
        else:
            self.starlette(answer, scope, body, event_id, began)

    def stream(self, answer: Stream, event_id: str, began: float) -> None:
        self.send(("s", int(answer.status), answer.headers, began))
        iterator = answer.iterator
        outcome = "ok"
        try:
            while True:
                self.streaming = True
                try:
                    chunk = self._next_async(iterator) if answer.is_async else next(iterator)
                finally:
                    self.streaming = False
                chunk = encode_chunk(chunk)
                if chunk:
                    self.send(("c", bytes(chunk)))
        except (StopIteration, StopAsyncIteration):
            pass
        except ClientGone:
            outcome = "stopped"
        except SystemExit as exc:
            raise _Exit(_exit_code(exc)) from None
        except BaseException as exc:
            outcome = "error"
            log_error(event_id, exc, "while streaming its response")
        try:
            if answer.is_async:
                self.loop.run_until_complete(iterator.aclose())
            elif hasattr(iterator, "close"):
                iterator.close()
        except BaseException:  # noqa: S110 - closing a generator that failed: nothing more to say
            pass
        self.send(("e", outcome))

    def _next_async(self, iterator: Any) -> Any:
        """The next chunk of an async generator; when the client goes away, cancel it where it awaits."""
        step = asyncio.ensure_future(iterator.__anext__(), loop=self.loop)
        try:
            return self.loop.run_until_complete(step)
        except ClientGone:
            self.streaming = False
            step.cancel()  # CancelledError at the generator's await: its `finally` runs
            try:
                self.loop.run_until_complete(step)
            except BaseException:  # noqa: S110 - the cancellation we asked for
                pass
            raise

    def starlette(
        self, response: StarletteResponse, scope: dict[str, Any], body: bytes, event_id: str, began: float
    ) -> None:
        """A Starlette Response runs its own ASGI code here; its messages go to the worker as they come."""
        first = [True]
        stamp = [began]  # goes with the first message

        async def receive() -> dict[str, Any]:
            if first[0]:
                first[0] = False
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the worker watches for the disconnect
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            message = dict(message)
            if "headers" in message:
                message["headers"] = [(bytes(name), bytes(value)) for name, value in message["headers"]]
            if message["type"] == "http.response.start":  # checked here: the worker only forwards it
                check_start(message["status"], message.get("headers", ()))
            if "body" in message:
                message["body"] = bytes(message["body"])
            if stamp:
                self.send(("a", message, stamp.pop()))
            else:
                self.send(("a", message))

        outcome = "ok"
        try:
            self.loop.run_until_complete(response(scope, receive, send))
        except SystemExit as exc:
            raise _Exit(_exit_code(exc)) from None
        except BaseException as exc:
            outcome = "error"
            log_error(event_id, exc, "while sending its response")
        self.send(("e", outcome))


def _ignore(signum: int, frame: Any) -> None:
    pass


def _on_client_gone(executor: Executor) -> Any:
    def handler(signum: int, frame: Any) -> None:
        if executor.streaming:
            raise ClientGone()

    return handler


def run_executor(fd: int, loaded: LoadedFunction, settings: Settings, parent_pid: int) -> NoReturn:
    """The body of a forked executor. Never returns."""
    code = 0
    try:
        try:
            os.setpgid(0, 0)  # signals for the runtime's group are the supervisor's to handle
        except OSError:
            pass
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent_pid:
            os._exit(1)
        # A drain lets the call finish; the worker (or the supervisor) ends us. A no-op handler rather
        # than SIG_IGN, which processes the function starts would inherit across exec.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _ignore)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock = socket.socket(fileno=fd)
        sock.setblocking(True)
        executor = Executor(sock, loaded, settings)
        signal.signal(signal.SIGUSR1, _on_client_gone(executor))
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGUSR1})
        executor.serve()
    except _Exit as exc:
        code = exc.code
    except StartFailed as exc:
        runtimelog.error(exc.line, call=None)
        code = 1
    except (BrokenPipeError, ConnectionResetError):
        pass  # the worker went away mid-answer: nothing left to answer
    except BaseException:  # noqa: BLE001
        runtimelog.error(traceback.format_exc(), call=None)
        code = 1
    finally:
        leave(code)

