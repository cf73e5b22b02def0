"""A user's shell after ``eval "$(make -s sandbox-env)"`` (sandbox/shell.py) runs the collection's playbooks as the docs
show them, from a folder of their own, with the collection installed read-only from its tarball: every relative output
path lands in that folder, never in the collection. (Tests may run as root, which file modes do not stop, so each test
also compares the installed collection's file list before and after.)"""

import json
import os
import shlex
import subprocess
import sys

import pytest
from user_shell import files, user_shell

from sandbox import kubectl, shell
from sandbox.paths import REPO_ROOT

pytestmark = pytest.mark.controlplane


def test_sandbox_env_says_what_it_exports_and_unsets_what_would_point_elsewhere(sandbox_state, tmp_path):
    names = list(shell.variables(sandbox_state)) + list(shell.UNSET)
    show = " ".join(f'{n}="${{{n}-<unset>}}"' for n in names)
    out = user_shell(
        sandbox_state,
        tmp_path,
        f"echo {show}\nfor t in kubectl ansible-playbook ansible ansible-doc; do command -v $t; done",
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    seen = dict(pair.split("=", 1) for pair in shlex.split(lines[0]))
    assert seen["KUBECONFIG"] == seen["K8S_AUTH_KUBECONFIG"] == sandbox_state["kubeconfig"]
    assert seen["KSYUN_ENDPOINT"] == "http://" + sandbox_state["ksyun_endpoint"]
    assert seen["KSYUN_ACCESS_KEY"] == "sandbox-access-key" and "not-real" in seen["KSYUN_SECRET_KEY"]
    for name in shell.UNSET:
        assert seen[name] == "<unset>", f"{name} still {seen[name]!r} after the eval: it would win over the sandbox's"
    folder = kubectl.bin_dir(sandbox_state)
    assert lines[1:] == [str(folder / t) for t in ("kubectl", "ansible-playbook", "ansible", "ansible-doc")]
    assert os.path.realpath(folder / "ansible-playbook") == os.path.realpath(
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    )

    described = subprocess.run(
        [sys.executable, "-m", "sandbox", "env"],
        cwd=REPO_ROOT,
        env=dict(os.environ, KSYUN_KCE_SANDBOX_DIR=sandbox_state["root"]),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[0]
    assert described.startswith("# ksyun.kce sandbox: kubectl and ansible-playbook"), described


def test_the_audit_from_a_readonly_collection_writes_its_report_into_the_working_directory(
    sandbox_state, tmp_path, readonly_collection
):
    """docs/reclaim.md's audit, as written (default audit_dir), then the repair of that saved report by a relative
    path."""
    before = files(readonly_collection)
    out = user_shell(
        sandbox_state,
        tmp_path,
        "ansible-playbook ksyun.kce.audit\n"
        "ansible-playbook ksyun.kce.audit -e audit_repair=true -e audit_report=fixed-ip-audit/report.json",
        collections=readonly_collection,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    report = tmp_path / "fixed-ip-audit" / "report.html"
    assert report.is_file() and (tmp_path / "fixed-ip-audit" / "report.json").is_file(), sorted(tmp_path.rglob("*"))
    assert f'"report": "{report}"' in out.stdout
    saved = json.loads((tmp_path / "fixed-ip-audit" / "report.json").read_text())
    assert "findings" in saved and "in_sync" in saved
    assert "ksyun.kce" in out.stdout or "Audit" in out.stdout
    assert files(readonly_collection) == before, "the run wrote into the installed collection"


def test_a_render_and_a_preflight_report_with_relative_paths_land_in_the_working_directory(
    sandbox_state, tmp_path, readonly_collection
):
    """docs/gitops.md's render (deploy_render_dir relative) and docs/preflight.md's report file (relative)."""
    before = files(readonly_collection)
    addons_vars = os.path.join(sandbox_state["root"], "addons-vars.yml")
    out = user_shell(
        sandbox_state,
        tmp_path,
        f"ansible-playbook ksyun.kce.deploy -e deploy_output=render -e deploy_render_dir=gitops/rendered"
        f" -e @{shlex.quote(addons_vars)} -e deploy_multus=false\n"
        "ansible-playbook ksyun.kce.preflight -e preflight_output_file=preflight.json",
        collections=readonly_collection,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    rendered = sorted(p.name for p in (tmp_path / "gitops" / "rendered").glob("*.yaml"))
    assert any(name.startswith("vpc-cni__") for name in rendered), rendered
    preflight = json.loads((tmp_path / "preflight.json").read_text())
    assert preflight.get("checks"), preflight
    assert files(readonly_collection) == before, "the run wrote into the installed collection"
