"""Build the control-plane binaries and kubectl once per machine, cached outside the repo by version."""

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from sandbox.paths import cache_root

HERE = Path(__file__).resolve().parent
# Every binary build.sh makes; a cache directory missing one (e.g. built before kubectl was part of the sandbox) is
# incomplete and built again as a whole, never used as it is.
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")


def module_version(go_mod: Path, module: str) -> str:
    match = re.search(re.escape(module) + r"\s+(v\S+)", go_mod.read_text())
    if not match:
        raise RuntimeError(f"{go_mod} does not require {module}")
    return match.group(1)


def versions() -> dict:
    return {
        "kubernetes": module_version(HERE / "k8s" / "go.mod", "k8s.io/kubernetes"),
        "etcd": module_version(HERE / "etcd" / "go.mod", "go.etcd.io/etcd/server/v3"),
        "go": _go_version(),
    }


def _go_version() -> str:
    go = shutil.which("go")
    if not go:
        raise RuntimeError("the Go toolchain is not on PATH: install Go >= 1.26 to build the control plane")
    out = subprocess.run(
        [go, "env", "GOVERSION"], check=True, capture_output=True, text=True, env={**os.environ, "GOTOOLCHAIN": "local"}
    ).stdout.strip()
    return out


def cache_dir() -> Path:
    """bin/<k8s>-etcd<etcd>-<go>-<digest of go.mod/go.sum/build.sh>: a new pin is a new entry."""
    v = versions()
    digest = hashlib.sha256()
    for name in ("k8s/go.mod", "k8s/go.sum", "etcd/go.mod", "etcd/go.sum", "build.sh"):
        digest.update((HERE / name).read_bytes())
    key = f"k8s-{v['kubernetes']}-etcd-{v['etcd']}-{v['go']}-{digest.hexdigest()[:12]}"
    return cache_root() / "controlplane" / key


def missing(directory: Path) -> list:
    """The BINARIES that directory lacks (or holds without the executable bit)."""
    return [b for b in BINARIES if not ((directory / b).is_file() and os.access(directory / b, os.X_OK))]


def installed(directory: Path) -> bool:
    return not missing(directory)


def ensure_built(out=sys.stderr) -> Path:
    """Return the directory holding the binaries, building them first on a cache miss."""
    directory = cache_dir()
    if installed(directory):
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / ".build.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second clone or test session waits instead of building alongside
        if not installed(directory):
            if directory.exists():
                print(
                    f"sandbox: {directory} lacks {', '.join(missing(directory))}: building the whole set again",
                    file=out,
                    flush=True,
                )
            _build(directory, out)
    return directory


def kubectl(out=sys.stderr) -> Path:
    """The sandbox's kubectl: built with the control plane from the same Go modules and version."""
    return ensure_built(out) / "kubectl"


def _build(directory: Path, out) -> None:
    v = versions()
    print(
        f"sandbox: first run on this machine: building Kubernetes {v['kubernetes']} (control plane and kubectl) and "
        f"etcd {v['etcd']} from Go modules into {directory} (8-15 minutes on 2 cores, most of it kube-apiserver; "
        "cached for later runs)",
        file=out,
        flush=True,
    )
    started = time.monotonic()
    _run_with_heartbeat(["bash", str(HERE / "build.sh"), str(directory)], out, started)
    print(f"sandbox: control-plane build finished in {time.monotonic() - started:.0f}s", file=out, flush=True)


def _run_with_heartbeat(cmd, out, started, every=60.0):
    """Relay build.sh's lines, and say every minute what is still compiling (go build is silent)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    current = ["go build"]
    stop = threading.Event()

    def tick():
        while not stop.wait(every):
            print(
                f"sandbox: still building {current[0]} ({time.monotonic() - started:.0f}s elapsed)",
                file=out,
                flush=True,
            )

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        for line in proc.stdout:
            print(line.rstrip(), file=out, flush=True)
            if line.startswith("[build"):
                current[0] = line.split("] ", 1)[-1].strip()
    finally:
        stop.set()
    if proc.wait() != 0:
        raise RuntimeError(f"control-plane build failed (exit {proc.returncode}); the output above says where")
