"""A user's shell on the sandbox: bash with only what a login gives (and decoys that must not be used), that ran
``eval "$(make -s sandbox-env)"`` in the checkout and then works in a folder of its own (sandbox/shell.py)."""

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sandbox.paths import REPO_ROOT, cache_root

# What a user's shell may already hold: real credentials, another cluster. After the eval none of it may be used.
DECOYS = {
    "KSYUN_ACCESS_KEY_ID": "AKLTrealLookingKeyId",
    "KSYUN_SECRET_ACCESS_KEY": "real-looking-secret",
    "K8S_AUTH_CONTEXT": "kce-prod",
    "KUBECONFIG": "/nonexistent/kce-prod.kubeconfig",
}


def _env(sandbox_state):
    env = {
        "HOME": os.environ["HOME"],
        # The user's tools: the Go that built the sandbox (its version keys the binaries' cache), make, bash, git.
        "PATH": os.pathsep.join([os.path.dirname(shutil.which("go")), "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "KSYUN_KCE_SANDBOX_DIR": sandbox_state["root"],
        "KSYUN_KCE_CACHE": str(cache_root()),
        **DECOYS,
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith(("_ANSIBLE_COVERAGE", "KSYUN_KCE_COV"))})
    return env


def prelude(cwd, collections=None):
    text = f'cd {shlex.quote(str(REPO_ROOT))} && eval "$(make -s sandbox-env)" && cd {shlex.quote(str(cwd))}'
    if collections:
        text += f" && export ANSIBLE_COLLECTIONS_PATH={shlex.quote(str(collections))}"
    return text


def user_shell(sandbox_state, cwd, script, collections=None, timeout=600):
    """Run script in that shell (``set -e``), from cwd; stdout and stderr as text, the exit status not checked.
    collections: a folder the collection is installed in, instead of the checkout."""
    return subprocess.run(
        ["bash", "-c", f"set -e -o pipefail\n{prelude(cwd, collections)}\n{script}"],
        env=_env(sandbox_state),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@dataclass
class Ran:
    command: str
    rc: int
    output: str  # stdout and stderr, interleaved as a terminal shows them


def run_commands(sandbox_state, cwd, commands, collections=None, timeout=900, before=None):
    """Run each command in turn in one such shell (so variables carry over, as in a terminal), going on after a
    failure; a command that starts with ``make`` runs from the checkout, as the docs say. Returns one Ran each.

    before: {index: shell lines} run (output discarded) before that command: the time a user takes between two
    commands, as a wait for what the page's next output shows (a pod's event), never a step of the page's own."""
    lines = [prelude(cwd, collections) + " || { echo 'the sandbox-env prelude failed'; exit 97; }"]
    for i, command in enumerate(commands):
        if before and i in before:
            lines.append(f"( {before[i]} ) >/dev/null 2>&1 || true")
        if command.startswith("make "):
            command = f"(cd {shlex.quote(str(REPO_ROOT))} && {command})"
        lines += [f"printf '\\n@@begin {i}@@\\n'", command, f"printf '\\n@@end {i} %s@@\\n' $?"]
    proc = subprocess.run(
        ["bash", "-c", "\n".join(lines) + "\n"],
        env=_env(sandbox_state),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=timeout,
    )
    found = {}
    for match in re.finditer(r"\n@@begin (\d+)@@\n(.*?)\n@@end \1 (\d+)@@\n", proc.stdout, re.S):
        found[int(match.group(1))] = Ran(commands[int(match.group(1))], int(match.group(3)), match.group(2))
    missing = [commands[i] for i in range(len(commands)) if i not in found]
    assert not missing, f"the shell stopped before {missing[0]!r} (exit {proc.returncode}):\n{proc.stdout[-3000:]}"
    return [found[i] for i in range(len(commands))]


def install_readonly(work: Path) -> Path:
    """The collection built into its tarball and installed with ansible-galaxy into work/collections, which is then
    made read-only (as in an execution environment); returns that folder, for ANSIBLE_COLLECTIONS_PATH."""
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    build = subprocess.run(
        [galaxy, "collection", "build", str(REPO_ROOT), "--output-path", str(work / "dist")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (tarball,) = (work / "dist").glob("ksyun-kce-*.tar.gz")
    # --force: without it ansible-galaxy skips the install when ~/.ansible/collections already holds ksyun.kce 0.1.0
    install = subprocess.run(
        [
            galaxy,
            "collection",
            "install",
            "--offline",
            "--no-deps",
            "--force",
            "-p",
            str(work / "collections"),
            str(tarball),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    root = work / "collections"
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    os.chmod(root, os.stat(root).st_mode & ~stat.S_IWUSR)
    return root


def writable_again(root: Path) -> None:
    for folder, _dirs, _names in os.walk(root):
        os.chmod(folder, 0o755)
    os.chmod(root, 0o755)


def files(root: Path):
    """Every file below root but Python's byte-code caches (which it skips writing when it cannot). Tests may run as
    root, which file modes do not stop, so a test compares this list before and after."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if "__pycache__" not in p.parts)
