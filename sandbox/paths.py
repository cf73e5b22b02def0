"""Where the sandbox keeps things outside the repository: caches, state, the collection root."""

import hashlib
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def cache_root() -> Path:
    """Builds and venvs survive across clones here (override with KSYUN_KCE_CACHE)."""
    env = os.environ.get("KSYUN_KCE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "ksyun-kce"


def repo_key() -> str:
    return hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:10]


def collections_root() -> Path:
    """A directory holding ansible_collections/ksyun/kce -> this checkout (made on demand).

    Ansible finds collections only below an ``ansible_collections/<ns>/<name>`` path, and a CI
    clone may live anywhere, so the checkout is linked into a per-checkout tree in the cache.
    """
    root = cache_root() / "collections" / repo_key()
    link = root / "ansible_collections" / "ksyun" / "kce"
    if not (link.is_symlink() and link.resolve() == REPO_ROOT):
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(REPO_ROOT, target_is_directory=True)
    return root


def state_dir() -> Path:
    """Runtime state of the local sandbox of this checkout (certs, data, logs, kubeconfig)."""
    env = os.environ.get("KSYUN_KCE_SANDBOX_DIR")
    return Path(env) if env else cache_root() / "sandbox" / repo_key()
