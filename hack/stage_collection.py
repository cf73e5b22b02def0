"""Copy this checkout's files into DEST/ansible_collections/ksyun/kce (ansible-test refuses symlinks),
plus the collection dependencies found in the given site-packages, and print the collection path."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# Kubernetes manifests users copy into their Git repository (multi-document YAML, which ansible-test's yamllint refuses
# in collection content); not shipped (galaxy.yml build_ignore), checked by ansible-lint's yamllint and the tests.
NOT_COLLECTION_CONTENT = ("argocd/",)


def main(dest_root: str, site_packages: str) -> int:
    dest = Path(dest_root) / "ansible_collections" / "ksyun" / "kce"
    shutil.rmtree(dest, ignore_errors=True)
    files = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True, capture_output=True
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        if name.startswith(NOT_COLLECTION_CONTENT):
            continue
        src = REPO / name
        if src.is_file() and not src.is_symlink():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    dep = Path(site_packages) / "ansible_collections" / "kubernetes" / "core"
    dep_dest = Path(dest_root) / "ansible_collections" / "kubernetes" / "core"
    if not dep_dest.exists():
        shutil.copytree(dep, dep_dest, ignore=shutil.ignore_patterns("__pycache__"))
    print(dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
