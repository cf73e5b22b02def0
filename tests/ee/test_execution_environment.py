"""The execution environment's definition, made into a build context by `ansible-builder create` (hack/ee.sh, what
`make ee` runs): what the image will hold is what the tests ran with, and the collection inside it is this checkout's.
Building the image itself needs a container engine, which this machine has not (docs/gitops.md)."""

import re
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent


def _pins(path):
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s#]+)", line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def _installed_collection_version(namespace, name):
    manifest = VENV.glob("lib/python3*/site-packages/ansible_collections/%s/%s/MANIFEST.json" % (namespace, name))
    return yaml.safe_load(next(manifest).read_text(encoding="utf-8"))["collection_info"]["version"]


def test_ansible_builder_creates_a_context_with_the_tested_versions_and_this_collection(tmp_path):
    built = subprocess.run(
        ["bash", str(REPO / "hack" / "ee.sh"), str(VENV), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    context = tmp_path / "context"
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")

    tested = _pins(REPO / "test-requirements.txt")
    refs = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]+)"', containerfile).group(1).split()
    assert "ansible-core==%s" % tested["ansible-core"] in refs, refs
    assert any(r.startswith("ansible-runner==") for r in refs), refs
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert "USER 1000" in containerfile and "WORKDIR /runner" in containerfile

    # The modules' Python dependencies are the runtime requirements the tests pinned, unchanged.
    assert _pins(context / "_build" / "requirements.txt") == _pins(REPO / "requirements.txt")

    # kubernetes.core and ansible.posix at the versions the tests ran (the `ansible` package's).
    galaxy = {
        c["name"]: c["version"]
        for c in yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    }
    assert galaxy == {
        "kubernetes.core": _installed_collection_version("kubernetes", "core"),
        "ansible.posix": _installed_collection_version("ansible", "posix"),
    }

    # The collection tarball of this checkout is installed in the galaxy stage, where /build exists.
    tarballs = list((context / "_build" / "collection").glob("ksyun-kce-*.tar.gz"))
    version = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    assert [t.name for t in tarballs] == ["ksyun-kce-%s.tar.gz" % version]
    galaxy_stage = containerfile.split("FROM base AS galaxy", 1)[1].split("FROM base AS builder", 1)[0]
    assert "/build/collection/ksyun-kce-*.tar.gz" in galaxy_stage
    with tarfile.open(tarballs[0]) as tar:
        names = set(tar.getnames())
    for wanted in (
        "playbooks/deploy.yml",
        "playbooks/reclaim.yml",
        "playbooks/audit.yml",
        "roles/vpc_cni/tasks/main.yml",
        "plugins/modules/fixed_ip.py",
        "meta/execution-environment.yml",
        "requirements.txt",
    ):
        assert wanted in names, wanted
    assert not [n for n in names if n.startswith(("sandbox/", "benchmarks/", "tests/sandbox/", "build/", "ee/"))]
