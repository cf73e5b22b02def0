"""Every molecule scenario under extensions/molecule, run as a user runs it: ``molecule test -s <scenario>``.

Each scenario starts a bare sandbox of its own (extensions/molecule/resources/create.yml), converges, reruns converge
(molecule's idempotence: changed=0 in the recap; verify then asserts the rerun sent no mutating cloud call), verifies
and destroys the sandbox.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.paths import REPO_ROOT, collections_root

pytestmark = pytest.mark.controlplane

SCENARIOS = sorted(path.parent.name for path in (REPO_ROOT / "extensions" / "molecule").glob("*/molecule.yml"))
BIN = Path(sys.executable).parent


def test_every_role_has_a_scenario_and_there_is_an_end_to_end_one():
    roles = {path.name for path in (REPO_ROOT / "roles").iterdir() if path.is_dir()} - {"manifests"}
    assert roles <= set(SCENARIOS), "roles without a molecule scenario: %s" % sorted(roles - set(SCENARIOS))


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario, tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KSYUN_", "K8S_AUTH_", "MOLECULE_")) or key.startswith("KSYUN_KCE_COVERAGE")
    }
    env.update(
        PATH="%s:%s" % (BIN, env.get("PATH", "")),
        ANSIBLE_COLLECTIONS_PATH=str(collections_root()),
        NO_COLOR="1",
        ANSIBLE_NOCOLOR="1",
    )
    proc = subprocess.run(
        [str(BIN / "molecule"), "test", "-s", scenario],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    (tmp_path / "molecule.log").write_text(proc.stdout)
    tail = "\n".join(proc.stdout.splitlines()[-80:])
    assert proc.returncode == 0, "molecule test -s %s failed (rc %d); log %s:\n%s" % (
        scenario,
        proc.returncode,
        tmp_path / "molecule.log",
        tail,
    )
    for step in ("converge", "idempotence", "verify", "destroy"):
        assert re.search(
            r"%s\W+%s: Executed: Successful" % (re.escape(scenario), step), proc.stdout
        ), "step %s of scenario %s did not run successfully:\n%s" % (step, scenario, tail)
