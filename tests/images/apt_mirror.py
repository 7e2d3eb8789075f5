"""Print the Debian mirror this machine's apt already uses, for debootstrap.

The image tests build their stand-in base images with debootstrap. Which mirror to use is the
machine's business, not the repository's: CI and every developer box are configured with one that
they can reach, so we read it from apt's own sources at run time instead of writing a host name
into the repo.

Both source formats are understood: one-line ``deb URI SUITE COMPONENT...`` entries
(``sources.list``, ``*.list``) and deb822 stanzas (``*.sources``). The first entry that carries
the release itself (``Suites: bookworm``, not ``bookworm-security`` or ``bookworm-updates``) and the
``main`` component wins.

Usage: ``python apt_mirror.py [CODENAME]`` (default: ``VERSION_CODENAME`` from /etc/os-release).
Prints ``URI`` and exits 0, or prints one line on stderr and exits 1.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

APT_DIR = Path("/etc/apt")


@dataclass(frozen=True)
class Source:
    """One apt source: where it is, which releases and components it serves."""

    kind: str
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    enabled: bool = True


def _one_line_sources(text: str) -> Iterator[Source]:
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        kind = words.pop(0)
        if words and words[0].startswith("["):  # options such as [arch=amd64 signed-by=...]
            while words and not words[0].endswith("]"):
                words.pop(0)
            words.pop(0)
        if len(words) >= 2:
            yield Source(kind, words[0], (words[1],), tuple(words[2:]))


def _deb822_sources(text: str) -> Iterator[Source]:
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for raw in stanza.splitlines():
            if raw.startswith("#") or not raw.strip():
                continue
            if raw[0].isspace() and key:  # continuation line
                fields[key] += " " + raw.strip()
                continue
            key, _, value = raw.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "uris" not in fields:
            continue
        enabled = fields.get("enabled", "yes").lower() not in ("no", "false", "0")
        for kind in fields.get("types", "deb").split():
            for uri in fields["uris"].split():
                yield Source(
                    kind,
                    uri,
                    tuple(fields.get("suites", "").split()),
                    tuple(fields.get("components", "").split()),
                    enabled,
                )


def apt_sources(apt_dir: Path = APT_DIR) -> Iterator[Source]:
    """Every source apt itself would read, in apt's order."""
    main_list = apt_dir / "sources.list"
    if main_list.is_file():
        yield from _one_line_sources(main_list.read_text())
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".list":
                yield from _one_line_sources(path.read_text())
            elif path.suffix == ".sources":
                yield from _deb822_sources(path.read_text())


def debian_mirror(codename: str, apt_dir: Path = APT_DIR) -> str | None:
    """The URI of the first enabled binary source serving ``codename``'s main component."""
    for source in apt_sources(apt_dir):
        if (
            source.enabled
            and source.kind == "deb"
            and codename in source.suites
            and "main" in source.components
        ):
            return source.uri.rstrip("/")
    return None


def host_codename(os_release: Path = Path("/etc/os-release")) -> str:
    for line in os_release.read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "VERSION_CODENAME":
            return value.strip().strip('"')
    raise SystemExit("error: no VERSION_CODENAME in /etc/os-release; pass the codename")


def main(argv: list[str]) -> int:
    codename = argv[1] if len(argv) > 1 else host_codename()
    uri = debian_mirror(codename)
    if uri is None:
        print(f"error: no apt source in {APT_DIR} serves '{codename} main'", file=sys.stderr)
        return 1
    print(uri)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
