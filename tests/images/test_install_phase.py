"""The install phase (CONTRACT.md §9): the image's `kubeless-install-deps` puts a function's
dependencies into $KUBELESS_INSTALL_VOLUME, and the runtime, started afterwards with the same
variable, loads a function that imports them. Real packages from the real registries, pinned."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from podman import Container, readable_by_anyone, run_to_exit

PINNED = {"python": ("six", "1.17.0"), "nodejs": ("is-number", "7.0.0")}


def write_deps(language: str, folder: Path) -> None:
    name, version = PINNED[language]
    if language == "python":
        (folder / "requirements.txt").write_text(f"{name}=={version}\n")
    else:
        (folder / "package.json").write_text(json.dumps(
            {"name": "withdeps", "version": "1.0.0", "private": True, "dependencies": {name: version}}))


def writable_volume(path: Path) -> Path:
    path.mkdir()
    path.chmod(0o777)  # the install phase runs as the image's uid 1000
    return path


def test_installed_dependency_is_imported_by_the_function(image: str, language: str, func_dir: Path,
                                                          tmp_path: Path, containers: list[Container]) -> None:
    write_deps(language, func_dir)
    readable_by_anyone(func_dir)
    volume = writable_volume(tmp_path / "deps")
    installed = run_to_exit(image, ["kubeless-install-deps"],
                            env={"KUBELESS_INSTALL_VOLUME": "/deps"},
                            volumes={func_dir: "/kubeless:ro", volume: "/deps"})
    assert installed.returncode == 0, installed.stdout + installed.stderr

    server = Container(image, "withdeps", "version", func_dir, volumes={volume: "/deps:ro"},
                       env={"KUBELESS_INSTALL_VOLUME": "/deps"})
    containers.append(server)
    server.wait_ready()
    answer = httpx.get(server.url, timeout=10)
    assert answer.status_code == 200, answer.text + server.logs()
    name, version = PINNED[language]
    body = answer.json()
    assert body[name] == version
    assert body["file"].startswith("/deps/"), body  # from the volume, not from the image
    if language == "nodejs":
        assert body["works"] is True


def test_kubeless_layout_function_and_dependencies_in_one_volume(image: str, language: str, func_dir: Path,
                                                                 containers: list[Container]) -> None:
    # Kubeless mounted one volume at /kubeless holding the function, its deps file, and what the
    # install phase added (KUBELESS_INSTALL_VOLUME=/kubeless); KUBELESS_DEPS_FILE named the file.
    # The install runs under a uid the image does not know, as `docker run --user $(id -u)` does
    # on a laptop (README); the runtime, as uid 1000, must still read what it wrote.
    deps_file = "requirements.txt" if language == "python" else "package.json"
    write_deps(language, func_dir)
    func_dir.chmod(0o777)
    installed = run_to_exit(image, ["kubeless-install-deps"],
                            env={"KUBELESS_INSTALL_VOLUME": "/kubeless",
                                 "KUBELESS_DEPS_FILE": f"/kubeless/{deps_file}"},
                            volumes={func_dir: "/kubeless"}, extra=["--user", "4321:4321"])
    assert installed.returncode == 0, installed.stdout + installed.stderr

    server = Container(image, "withdeps", "version", func_dir, env={"KUBELESS_INSTALL_VOLUME": "/kubeless"})
    containers.append(server)
    server.wait_ready()
    answer = httpx.get(server.url, timeout=10)
    assert answer.status_code == 200, answer.text + server.logs()
    assert answer.json()[PINNED[language][0]] == PINNED[language][1]


def test_no_deps_file_means_nothing_to_install(image: str, func_dir: Path, tmp_path: Path) -> None:
    volume = writable_volume(tmp_path / "deps")
    result = run_to_exit(image, ["kubeless-install-deps"], env={"KUBELESS_INSTALL_VOLUME": "/deps"},
                         volumes={func_dir: "/kubeless:ro", volume: "/deps"})
    assert result.returncode == 0, result.stderr
    assert "nothing to install" in result.stdout
    assert list(volume.iterdir()) == []


def test_no_install_volume_is_an_error(image: str, func_dir: Path) -> None:
    result = run_to_exit(image, ["kubeless-install-deps"], volumes={func_dir: "/kubeless:ro"})
    assert result.returncode == 2
    assert "KUBELESS_INSTALL_VOLUME" in result.stderr


@pytest.mark.parametrize("language", ["nodejs"])
def test_npm_registry_scope_and_extra_config_are_honoured(image: str, func_dir: Path, tmp_path: Path) -> None:
    # A registry nobody listens on: npm must fail when the package is asked of it, and succeed
    # when only a scope the package is not in is sent there. NPM_CONFIG_EXTRA is passed word by
    # word to `npm config set`: here it turns retries off (else npm backs off for a minute), and
    # in the last case it names the registry itself.
    write_deps("nodejs", func_dir)
    readable_by_anyone(func_dir)
    dead = "http://127.0.0.1:9/"
    cases = [
        ({"NPM_REGISTRY": dead, "NPM_CONFIG_EXTRA": "fetch-retries=0"}, False),
        ({"NPM_REGISTRY": dead, "NPM_SCOPE": "@nobody", "NPM_CONFIG_EXTRA": "fetch-retries=0"}, True),
        ({"NPM_CONFIG_EXTRA": f"registry={dead} fetch-retries=0"}, False),
    ]
    for number, (env, succeeds) in enumerate(cases):
        volume = writable_volume(tmp_path / f"deps{number}")
        result = run_to_exit(image, ["kubeless-install-deps"], env={"KUBELESS_INSTALL_VOLUME": "/deps", **env},
                             volumes={func_dir: "/kubeless:ro", volume: "/deps"})
        output = result.stdout + result.stderr
        if succeeds:
            assert result.returncode == 0, f"{env}: {output}"
            assert (volume / "node_modules" / "is-number" / "package.json").is_file()
        else:
            assert result.returncode != 0, f"{env}: installed from the public registry"
            assert "127.0.0.1:9" in output, f"{env}: {output}"
