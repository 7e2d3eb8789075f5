"""CONTRACT §1: starting a runtime, and every way a start can fail (§1.3)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from harness import Runtime

EXT = {"python": ".py", "nodejs": ".js"}

BROKEN_SYNTAX = {"python": "def main(event, context)\n    return 1\n",
                 "nodejs": "module.exports.main = (event) => {\n  return 1;\n"}
IMPORT_ERROR = {"python": "import kl_no_such_module_anywhere\n\n\ndef main(event, context):\n    return 1\n",
                "nodejs": "require('kl-no-such-module-anywhere');\nmodule.exports.main = () => 1;\n"}
RAISES_AT_IMPORT = {"python": "raise RuntimeError('kl-boom-at-import')\n",
                    "nodejs": "throw new Error('kl-boom-at-import');\n"}
NOT_CALLABLE = {"python": "main = 42\n", "nodejs": "module.exports.main = 42;\n"}
HELPER_MAIN = {"python": "import kl_helper\n\n\ndef run(event, context):\n    return kl_helper.greet()\n",
               "nodejs": "const helper = require('./kl_helper');\nmodule.exports.run = () => helper.greet();\n"}
HELPER = {"python": "def greet():\n    return 'hi from the helper'\n",
          "nodejs": "module.exports.greet = () => 'hi from the helper';\n"}


def write_module(folder: Path, runtime: Runtime, module: str, source: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module}{EXT[runtime.name]}"
    path.write_text(source[runtime.name])
    return path


def load_error_line(exit, module: str, function: str) -> re.Match:
    """The contract's line: `error: cannot load handler MODULE.FUNCTION from FILE: REASON`."""
    pattern = re.compile(rf"^error: cannot load handler {re.escape(module)}\.{re.escape(function)} "
                         rf"from (?P<file>.+?): (?P<reason>.+)$", re.M)
    match = pattern.search(exit.stderr)
    assert match, f"no load-error line for {module}.{function} on stderr:\n{exit.stderr[-3000:]}"
    return match


def assert_refused(exit, code: int) -> None:
    assert exit.code == code, f"exit code {exit.code}, want {code}; stderr:\n{exit.stderr[-3000:]}"
    assert not exit.listened, "the runtime listened before failing (must fail before opening the port)"


# -- a good start --------------------------------------------------------------------------------

def test_serves_the_handler_and_healthz(serve):
    server = serve("basic", "echo", shared=True)
    health = server.get("/healthz")
    assert (health.status_code, health.text) == (200, "OK")
    response = server.post("/", json={"x": 1})
    assert response.status_code == 200
    assert response.json()["context"]["function-name"] == "echo"


@pytest.mark.cli_only
def test_container_style_environment_in_a_local_process(serve):
    """Without --from-file the runtime reads MOD_NAME, FUNC_HANDLER, KUBELESS_FUNC_DIR, FUNC_PORT/HOST."""
    server = serve("basic", "echo", env_only=True)
    assert server.post("/", content=b"x").json()["context"]["function-name"] == "echo"


@pytest.mark.cli_only
def test_module_name_comes_from_the_handler(serve, runtime, tmp_path):
    """`--from-file example.<ext> --handler test.echo` serves example's echo as module `test`."""
    example = tmp_path / f"example{EXT[runtime.name]}"
    shutil.copy(runtime.source_file("basic"), example)
    server = serve("test", "echo", from_file=example)
    body = server.post("/", content=b"x").json()
    assert body["context"]["function-name"] == "echo"
    if runtime.name == "python":
        assert body["module"] == "test"


@pytest.mark.cli_only
def test_helper_module_beside_the_file_imports(serve, runtime, tmp_path):
    main = write_module(tmp_path, runtime, "main", HELPER_MAIN)
    write_module(tmp_path, runtime, "kl_helper", HELPER)
    server = serve("main", "run", from_file=main)
    assert server.get("/").text == "hi from the helper"


@pytest.mark.cli_only
def test_zip_with_a_helper_module(serve, runtime, tmp_path):
    archive = tmp_path / "function.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"main{EXT[runtime.name]}", HELPER_MAIN[runtime.name])
        zf.writestr(f"kl_helper{EXT[runtime.name]}", HELPER[runtime.name])
    server = serve("main", "run", from_file=archive)
    assert server.get("/").text == "hi from the helper"


@pytest.mark.cli_only
def test_folder_with_a_helper_module(serve, runtime, tmp_path):
    folder = tmp_path / "fn"
    write_module(folder, runtime, "main", HELPER_MAIN)
    write_module(folder, runtime, "kl_helper", HELPER)
    server = serve("main", "run", from_file=folder)
    assert server.get("/").text == "hi from the helper"


@pytest.mark.cli_only
def test_flags_override_the_environment(serve):
    server = serve("basic", "echo", env={"FUNC_TIMEOUT": "5", "FUNC_PORT": "1"}, args=["--timeout", "7.5"])
    # --port (given by the harness) won over FUNC_PORT=1, or the server would not be ready.
    assert server.post("/", content=b"").json()["context"]["timeout"] == 7.5


@pytest.mark.cli_only
def test_help_exits_zero(runtime):
    out = subprocess.run([*runtime.cli, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "--from-file" in out.stdout and "--handler" in out.stdout


# -- start-up errors (§1.3) ----------------------------------------------------------------------

def test_missing_file(start_fails, mode, tmp_path):
    if mode == "process":
        exit = start_fails("nosuch", "main", from_file=tmp_path / "nosuch.py")
    else:
        exit = start_fails("nosuch", "main", func_dir=tmp_path)
    assert_refused(exit, 1)
    assert "nosuch" in load_error_line(exit, "nosuch", "main")["file"]


def test_syntax_error(start_fails, runtime, tmp_path):
    write_module(tmp_path, runtime, "broken", BROKEN_SYNTAX)
    exit = start_fails("broken", "main", func_dir=tmp_path)
    assert_refused(exit, 1)
    assert "broken" in load_error_line(exit, "broken", "main")["file"]
    assert "SyntaxError" in exit.stderr


def test_import_error_shows_the_traceback(start_fails, runtime, tmp_path):
    write_module(tmp_path, runtime, "needs", IMPORT_ERROR)
    exit = start_fails("needs", "main", func_dir=tmp_path)
    assert_refused(exit, 1)
    load_error_line(exit, "needs", "main")
    assert "kl_no_such_module_anywhere" in exit.stderr or "kl-no-such-module-anywhere" in exit.stderr
    if runtime.name == "python":
        assert "Traceback (most recent call last)" in exit.stderr
    else:
        assert re.search(r"^\s+at ", exit.stderr, re.M), "no stack on stderr"


def test_exception_while_importing(start_fails, runtime, tmp_path):
    write_module(tmp_path, runtime, "raises", RAISES_AT_IMPORT)
    exit = start_fails("raises", "main", func_dir=tmp_path)
    assert_refused(exit, 1)
    load_error_line(exit, "raises", "main")
    assert "kl-boom-at-import" in exit.stderr
    if runtime.name == "python":
        assert "Traceback (most recent call last)" in exit.stderr


def test_no_such_function(start_fails):
    exit = start_fails("basic", "kl_no_such_function")
    assert_refused(exit, 1)
    assert "basic" in load_error_line(exit, "basic", "kl_no_such_function")["file"]


def test_not_callable(start_fails, runtime, tmp_path):
    write_module(tmp_path, runtime, "notfn", NOT_CALLABLE)
    exit = start_fails("notfn", "main", func_dir=tmp_path)
    assert_refused(exit, 1)
    load_error_line(exit, "notfn", "main")


@pytest.mark.cli_only
def test_module_missing_from_folder(start_fails, tmp_path):
    exit = start_fails("absent", "main", from_file=tmp_path)
    assert_refused(exit, 1)
    load_error_line(exit, "absent", "main")


@pytest.mark.cli_only
def test_module_missing_from_zip(start_fails, runtime, tmp_path):
    archive = tmp_path / "function.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"other{EXT[runtime.name]}", HELPER[runtime.name])
    exit = start_fails("absent", "main", from_file=archive)
    assert_refused(exit, 1)
    load_error_line(exit, "absent", "main")


@pytest.mark.cli_only
def test_not_a_zip(start_fails, tmp_path):
    archive = tmp_path / "function.zip"
    archive.write_bytes(b"this is not a zip archive\n")
    exit = start_fails("main", "run", from_file=archive)
    assert_refused(exit, 1)
    assert "function.zip" in load_error_line(exit, "main", "run")["file"]


@pytest.mark.only("python")
@pytest.mark.parametrize("module", ["json", "kubeless_runtime", "asyncio", "starlette"])
def test_python_module_name_that_shadows_the_runtime(start_fails, runtime, tmp_path, module):
    write_module(tmp_path, runtime, module, {"python": "def main(event, context):\n    return 'shadow'\n"})
    exit = start_fails(module, "main", func_dir=tmp_path)
    assert_refused(exit, 1)
    load_error_line(exit, module, "main")


@pytest.mark.cli_only
@pytest.mark.parametrize("args, names", [
    (["--port", "abc"], ["--port", "port"]),
    (["--timeout", "-1"], ["--timeout", "timeout"]),
    (["--timeout", "soon"], ["--timeout", "timeout"]),
])
def test_bad_flag_values(start_fails, args, names):
    exit = start_fails("basic", "echo", args=args)
    assert_refused(exit, 2)
    assert any(name in exit.stderr for name in names), exit.stderr


BAD_ENV = [
    {"FUNC_PORT": "abc"},
    {"FUNC_TIMEOUT": "-1"},
    {"FUNC_TIMEOUT": "soon"},
    {"FUNC_GRACE_PERIOD": "-5"},
    {"FUNC_MEMFILE_MAX": "lots"},
    {"REQ_MB_LIMIT": "lots"},
    {"FUNC_ACCESS_LOG": "maybe"},
]

# Shared decision 15: values out of range exit 2 with ONE line naming the variable and the range.
OUT_OF_RANGE = [
    ({"FUNC_TIMEOUT": "inf"}, "86400"),
    ({"FUNC_TIMEOUT": "1e308"}, "86400"),
    ({"FUNC_TIMEOUT": "86401"}, "86400"),
    ({"FUNC_GRACE_PERIOD": "3601"}, "3600"),
    ({"FUNC_MAX_HEADER_SIZE": "1023"}, "1024"),
    ({"FUNC_MAX_HEADER_SIZE": "1048577"}, "1048576"),
    ({"FUNC_HEADER_TIMEOUT": "0"}, "3600"),
    ({"FUNC_HEADER_TIMEOUT": "3601"}, "3600"),
]


def error_lines(exit) -> list[str]:
    return [line for line in exit.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("env, bound", OUT_OF_RANGE,
                         ids=lambda v: "-".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else "")
def test_settings_out_of_range_are_one_line(start_fails, env, bound):
    exit = start_fails("basic", "echo", env=env)
    assert_refused(exit, 2)
    lines = error_lines(exit)
    assert len(lines) == 1, exit.stderr
    assert next(iter(env)) in lines[0] and bound in lines[0], lines[0]


@pytest.mark.cli_only
def test_negative_timeout_flag_says_greater_than_0(start_fails):
    exit = start_fails("basic", "echo", args=["--timeout", "-1"])
    assert_refused(exit, 2)
    lines = error_lines(exit)
    assert len(lines) == 1 and "--timeout" in lines[0] and "greater than 0" in lines[0], exit.stderr


# Shared decisions 2, 3, 15: the concurrency and executor settings, out of range.
CONCURRENCY_OUT_OF_RANGE = [
    ({"FUNC_CONCURRENCY": "0"}, "1000"),
    ({"FUNC_CONCURRENCY": "1001"}, "1000"),
    ({"FUNC_EXECUTORS_MIN": "41"}, "40"),
    ({"FUNC_CONCURRENCY": "4", "FUNC_EXECUTORS_MIN": "5"}, "4"),
    ({"FUNC_EXECUTOR_IDLE": "0"}, "86400"),
    ({"FUNC_EXECUTOR_IDLE": "86401"}, "86400"),
]


@pytest.mark.parametrize("env, bound", CONCURRENCY_OUT_OF_RANGE,
                         ids=lambda v: "-".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else "")
def test_concurrency_settings_out_of_range(start_fails, env, bound):
    exit = start_fails("basic", "echo", env=env)
    assert_refused(exit, 2)
    lines = [line for line in exit.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, exit.stderr
    assert list(env)[-1] in lines[0] and bound in lines[0], lines[0]


@pytest.mark.parametrize("env", BAD_ENV, ids=lambda env: "-".join(f"{k}={v}" for k, v in env.items()))
def test_bad_environment_values(start_fails, mode, env):
    """Container-mode settings; in process mode FUNC_PORT is set directly (the CLI --port would win)."""
    exit = start_fails("basic", "echo", env=env, env_only=(mode == "process"))
    assert_refused(exit, 2)
    assert next(iter(env)) in exit.stderr, exit.stderr


@pytest.mark.only("python")
@pytest.mark.parametrize("env", [{"FUNC_THREADS": "0"}, {"FUNC_THREADS": "many"}, {"FUNC_WORKERS": "0"},
                                 {"FUNC_WORKERS": "100000"}],
                         ids=lambda env: "-".join(f"{k}={v}" for k, v in env.items()))
def test_python_bad_pool_settings(start_fails, env):
    exit = start_fails("basic", "echo", env=env)
    assert_refused(exit, 2)
    assert len(error_lines(exit)) == 1, exit.stderr
    assert next(iter(env)) in exit.stderr, exit.stderr


@pytest.mark.cli_only
def test_missing_handler_flag(start_fails, runtime):
    exit = start_fails(None, None, from_file=runtime.source_file("basic"))
    assert_refused(exit, 2)
    assert "handler" in exit.stderr


@pytest.mark.cli_only
def test_handler_without_a_function_name(start_fails, runtime):
    exit = start_fails("basic", None, from_file=runtime.source_file("basic"))
    assert_refused(exit, 2)
    assert "basic" in exit.stderr


@pytest.mark.parametrize("missing", ["MOD_NAME", "FUNC_HANDLER"])
def test_missing_kubeless_variables(start_fails, mode, missing):
    module, function = ("basic", "echo")
    exit = start_fails(None if missing == "MOD_NAME" else module,
                       None if missing == "FUNC_HANDLER" else function, env_only=(mode == "process"))
    assert_refused(exit, 2)
    assert missing in exit.stderr, exit.stderr
