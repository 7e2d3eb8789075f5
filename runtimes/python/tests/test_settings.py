"""Settings from flags and environment: defaults, precedence and the errors that exit 2."""

from __future__ import annotations

import pytest

from kubeless_runtime.settings import DEFAULT_BODY_LIMIT, SettingsError, load_settings

CLI = ["--from-file", "/tmp/f.py", "--handler", "test.hello"]


def test_defaults_in_cli_mode() -> None:
    s = load_settings(CLI, {})
    assert (s.module_name, s.function_name, s.source) == ("test", "hello", "/tmp/f.py")
    assert (s.port, s.host, s.timeout, s.threads, s.workers, s.grace_period) == (8080, "0.0.0.0", 180.0, 40, 1, 25.0)
    assert s.body_limit == DEFAULT_BODY_LIMIT and s.cors_origins == frozenset({"*"}) and s.access_log
    assert s.memory_limit is None and s.runtime.startswith("python3.")
    assert (s.max_header_size, s.header_timeout) == (65536, 10.0)


def test_container_mode_reads_the_kubeless_environment() -> None:
    s = load_settings([], {"MOD_NAME": "mod", "FUNC_HANDLER": "fn", "KUBELESS_FUNC_DIR": "/fns", "FUNC_PORT": "9000"})
    assert (s.source, s.handler, s.port) == ("/fns/mod.py", "mod.fn", 9000)


def test_flags_win_over_the_environment() -> None:
    s = load_settings([*CLI, "--port", "1234", "--timeout", "2.5", "--host", "127.0.0.1"],
                      {"FUNC_PORT": "9", "FUNC_TIMEOUT": "9", "FUNC_HOST": "::"})
    assert (s.port, s.timeout, s.host) == (1234, 2.5, "127.0.0.1")


def test_the_handler_splits_at_the_last_dot() -> None:
    with pytest.raises(SettingsError):
        load_settings(["--from-file", "x.py", "--handler", "pkg.mod.fn"], {})  # MODULE must be plain
    with pytest.raises(SettingsError):
        load_settings(["--from-file", "x.py", "--handler", "nodot"], {})


def test_body_limit_variables() -> None:
    assert load_settings(CLI, {"REQ_MB_LIMIT": "2"}).body_limit == 2_000_000
    assert load_settings(CLI, {"REQ_MB_LIMIT": "2", "FUNC_MEMFILE_MAX": "10"}).body_limit == 10


def test_cors_settings() -> None:
    assert load_settings(CLI, {"FUNC_CORS_ORIGINS": "off"}).cors_origins is None
    assert load_settings(CLI, {"FUNC_CORS_ORIGINS": "https://a, https://b"}).cors_origins == {"https://a", "https://b"}


@pytest.mark.parametrize(
    ("argv", "env", "words"),
    [
        (CLI, {"FUNC_PORT": "http"}, "FUNC_PORT must be an integer"),
        ([*CLI, "--port", "70000"], {}, "--port must be from 0 to 65535, got '70000'"),
        ([*CLI, "--timeout", "-1"], {}, "--timeout must be greater than 0 and at most 86400, got '-1'"),
        (CLI, {"FUNC_TIMEOUT": "0"}, "FUNC_TIMEOUT must be greater than 0"),
        (CLI, {"FUNC_TIMEOUT": "inf"}, "FUNC_TIMEOUT must be a finite number greater than 0 and at most 86400"),
        (CLI, {"FUNC_TIMEOUT": "1e308"}, "FUNC_TIMEOUT must be greater than 0 and at most 86400, got '1e308'"),
        (CLI, {"FUNC_WORKERS": "100000"}, "FUNC_WORKERS must be from 1 to 64, got '100000'"),
        (CLI, {"FUNC_GRACE_PERIOD": "3601"}, "FUNC_GRACE_PERIOD must be from 0 to 3600"),
        (CLI, {"FUNC_MAX_HEADER_SIZE": "1023"}, "FUNC_MAX_HEADER_SIZE must be from 1024 to 1048576"),
        (CLI, {"FUNC_MAX_HEADER_SIZE": "lots"}, "FUNC_MAX_HEADER_SIZE must be an integer from 1024 to 1048576"),
        (CLI, {"FUNC_HEADER_TIMEOUT": "0"}, "FUNC_HEADER_TIMEOUT must be greater than 0 and at most 3600"),
        (CLI, {"REQ_MB_LIMIT": "inf"}, "REQ_MB_LIMIT must be a finite number"),
        (CLI, {"FUNC_THREADS": "0"}, "FUNC_THREADS must be from 1 to 1000"),
        (CLI, {"FUNC_CONCURRENCY": "1001"}, "FUNC_CONCURRENCY must be from 1 to 1000"),
        (CLI, {"FUNC_ISOLATION": "threads"}, "FUNC_ISOLATION must be auto, call or worker"),
        ([*CLI, "--isolation", "x"], {}, "--isolation must be auto, call or worker"),
        (CLI, {"FUNC_CONCURRENCY": "4", "FUNC_EXECUTORS_MIN": "5"}, "FUNC_EXECUTORS_MIN must be from 0 to 4"),
        (CLI, {"FUNC_EXECUTOR_IDLE": "0"}, "FUNC_EXECUTOR_IDLE must be greater than 0"),
        (CLI, {"FUNC_ACCESS_LOG": "maybe"}, "FUNC_ACCESS_LOG must be 'on' or 'off'"),
        (CLI, {"FUNC_MAX_INFLIGHT": "x"}, "FUNC_MAX_INFLIGHT must be an integer from 0 to 1000000, got 'x'"),
        (CLI, {"FUNC_MAX_INFLIGHT": "1000001"}, "FUNC_MAX_INFLIGHT must be from 0 to 1000000, got '1000001'"),
        ([*CLI, "--max-inflight", "-1"], {}, "--max-inflight must be from 0 to 1000000, got '-1'"),
        (CLI, {"FUNC_LOG_FORMAT": "xml"}, "FUNC_LOG_FORMAT must be apache or json, got 'xml'"),
        ([*CLI, "--log-format", "text"], {}, "--log-format must be apache or json, got 'text'"),
        ([*CLI, "--bogus"], {}, "unknown argument '--bogus'"),
        (["--from-file", "x.py"], {}, "--handler MODULE.FUNCTION is required"),
        ([], {}, "MOD_NAME and FUNC_HANDLER must be set"),
    ],
)
def test_bad_values_are_one_readable_error(argv: list[str], env: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(argv, env)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_error_after_the_handler_is_known_names_it() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(CLI, {"FUNC_PORT": "x"})
    assert (caught.value.handler, caught.value.source) == ("test.hello", "/tmp/f.py")


def test_isolation_and_concurrency() -> None:
    s = load_settings(CLI, {})
    assert (s.isolation, s.executors_min, s.executor_idle) == ("auto", 1, 30.0)
    assert (s.isolation_for(False), s.isolation_for(True)) == ("call", "worker")
    s = load_settings([*CLI, "--isolation", "worker"], {"FUNC_ISOLATION": "call"})
    assert (s.isolation_for(False), s.isolation_for(True)) == ("worker", "worker")
    assert load_settings(CLI, {"FUNC_ISOLATION": "call"}).isolation_for(True) == "call"
    assert load_settings(CLI, {"FUNC_THREADS": "7"}).threads == 7
    assert load_settings(CLI, {"FUNC_THREADS": "7", "FUNC_CONCURRENCY": "9"}).threads == 9


def test_in_flight_limit_and_log_format() -> None:
    s = load_settings(CLI, {})
    assert (s.max_inflight, s.log_format) == (0, "apache")
    assert load_settings(CLI, {"FUNC_MAX_INFLIGHT": ""}).max_inflight == 0
    assert load_settings(CLI, {"FUNC_MAX_INFLIGHT": "5", "FUNC_LOG_FORMAT": "JSON"}).max_inflight == 5
    s = load_settings([*CLI, "--max-inflight", "7", "--log-format", "json"], {"FUNC_MAX_INFLIGHT": "5",
                                                                            "FUNC_LOG_FORMAT": "apache"})
    assert (s.max_inflight, s.log_format) == (7, "json")
