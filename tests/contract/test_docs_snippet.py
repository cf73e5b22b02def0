"""The create-attach-describe snippet in docs/sandbox.md runs as written."""

import contextlib
import io
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulator

DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def _snippet():
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- snippet: create-attach-describe -->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/sandbox.md lost its create-attach-describe snippet"
    return match.group(1)


@pytest.mark.emulator_settings(transition_seconds=0)
def test_the_documented_snippet_creates_attaches_and_describes_an_eni(emulator, monkeypatch, ids):
    for key, value in {
        "KSYUN_ACCESS_KEY_ID": "AKLTdocs",
        "KSYUN_SECRET_ACCESS_KEY": "SKdocs",
        "KSYUN_REGION": ids.region,
        "KSYUN_ENDPOINT": emulator.url,
        "KCE_SUBNET_ID": ids.subnet_6a,
        "KCE_SECURITY_GROUP_ID": ids.sg,
        "KCE_INSTANCE_ID": ids.node_47,
    }.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(
            compile(_snippet(), str(DOC), "exec"), {"__name__": "docs_snippet"}
        )  # noqa: S102 - running the documented code is the point
    eni_id, ip, mac, count = out.getvalue().split()
    state = emulator.state.data["network_interfaces"][eni_id]
    assert state["instance_id"] == ids.node_47 and state["name"] == "sts-0-fixed-ip"
    assert ip == state["primary_ip"] and mac == state["mac"] and count == "2"
    assert emulator.counters.as_dict()["writes"] == {"CreateNetworkInterface": 1, "AttachNetworkInterface": 1}
