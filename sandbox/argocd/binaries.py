"""Build Argo CD's one binary once per machine, cached outside the repo by version, Go version and go.sum.

The wrapper module (module/go.mod, module/tools.go) requires github.com/argoproj/argo-cd/v3 and copies its replace
block (Go ignores replace directives of dependencies; v3.2.11's block has no local-path lines). build.sh builds
``github.com/argoproj/argo-cd/v3/cmd`` and links it as argocd-application-controller, argocd-repo-server and
argocd-server: the binary runs the command named by argv[0], as in Argo CD's image."""

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sandbox.controlplane.binaries import _go_version, _run_with_heartbeat, module_version
from sandbox.paths import cache_root

HERE = Path(__file__).resolve().parent
MODULE_DIR = HERE / "module"
MODULE = "github.com/argoproj/argo-cd/v3"
BINARIES = ("argocd", "argocd-application-controller", "argocd-repo-server", "argocd-server")
GO_ENV = {"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly"}


def version() -> str:
    return module_version(MODULE_DIR / "go.mod", MODULE)


def cache_dir() -> Path:
    """argocd/argo-cd-<version>-<go>-<digest of go.mod/go.sum/build.sh>: a new pin or Go is a new entry."""
    digest = hashlib.sha256()
    for path in (MODULE_DIR / "go.mod", MODULE_DIR / "go.sum", HERE / "build.sh"):
        digest.update(path.read_bytes())
    return cache_root() / "argocd" / f"argo-cd-{version()}-{_go_version()}-{digest.hexdigest()[:12]}"


def missing(directory: Path) -> list:
    return [b for b in BINARIES if not ((directory / b).is_file() and os.access(directory / b, os.X_OK))]


def ensure_built(out=sys.stderr) -> Path:
    """The directory holding the binary and its links, built first on a cache miss (one build at a time)."""
    directory = cache_dir()
    if not missing(directory):
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / ".build.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if missing(directory):
            print(
                f"sandbox: building Argo CD {version()} from its Go module into {directory} (about 10 minutes on 2 "
                "cores; cached for later runs)",
                file=out,
                flush=True,
            )
            started = time.monotonic()
            try:
                _run_with_heartbeat(["bash", str(HERE / "build.sh"), str(directory)], out, started)
            except RuntimeError as err:
                raise RuntimeError(f"Argo CD {version()} build failed ({err})") from None
            print(f"sandbox: Argo CD build finished in {time.monotonic() - started:.0f}s", file=out, flush=True)
    return directory


def module_source() -> Path:
    """The pinned Argo CD module's directory in the Go module cache (downloaded if absent): its manifests/ are what
    the sandbox installs."""
    info = json.loads(_go("list", "-m", "-json", MODULE))
    if not info.get("Dir"):  # go list -m does not download; go mod download does
        _go("mod", "download", MODULE)
        info = json.loads(_go("list", "-m", "-json", MODULE))
    if not info.get("Dir") or not (Path(info["Dir"]) / "manifests").is_dir():
        raise RuntimeError(f"{MODULE} {version()} has no manifests/ in the Go module cache ({info.get('Dir')})")
    return Path(info["Dir"])


def _go(*args) -> str:
    done = subprocess.run(
        ["go", *args], cwd=MODULE_DIR, check=False, capture_output=True, text=True, env={**os.environ, **GO_ENV}
    )
    if done.returncode != 0:
        raise RuntimeError(f"go {' '.join(args)} failed in {MODULE_DIR}: {done.stderr.strip()}")
    return done.stdout
