# -*- coding: utf-8 -*-
"""Actions describe themselves for --check and --diff, and Refs resolve from CreateEni results."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import EniSnapshot

CREATED = {
    "new-eni": EniSnapshot(
        "eni-9", "kcefip_c1_ex_default_sts-0", "subnet-a", "a", primary_ip="10.0.0.9", mac="fa:16:3e:00:00:09"
    )
}


@pytest.mark.parametrize(
    "action, line",
    [
        (
            act.WriteReservation(
                Reservation(
                    "default", "sts-0", Mode.SHARED, ip="10.0.0.2", eni_id="eni-1", node_name="n1", phase=Phase.BOUND
                )
            ),
            "write PodEniIP default/10.0.0.2: phase Bound, pod default/sts-0, IP 10.0.0.2, ENI eni-1, node n1",
        ),
        (
            act.WriteReservation(
                Reservation("default", "sts-0", Mode.EXCLUSIVE, eni_id=Ref(), ip=Ref("new-eni", "primary_ip"))
            ),
            "write PodEni default/sts-0: phase Binding, pod default/sts-0, IP <new-eni.primary_ip>, ENI <new-eni.eni_id>",
        ),
        (act.DeleteReservation("default", "10.0.0.2", Mode.SHARED), "delete PodEniIP default/10.0.0.2"),
        (
            act.CreateEni("new-eni", "subnet-a", "kcefip_c1_sh_0_n1", ("sg-1", "sg-2"), primary_ip="10.0.0.3"),
            "create ENI kcefip_c1_sh_0_n1 in subnet subnet-a with primary IP 10.0.0.3 (security groups sg-1, sg-2) as <new-eni.eni_id>",
        ),
        (act.AttachEni(Ref(), "i-1"), "attach ENI <new-eni.eni_id> to instance i-1"),
        (act.DetachEni("eni-1", "i-1"), "detach ENI eni-1 from instance i-1 (the ENI keeps its IP)"),
        (act.DeleteEni("eni-1"), "delete ENI eni-1 (its IPs go back to the subnet)"),
        (act.AssignIp("eni-1", "10.0.0.2"), "assign IP 10.0.0.2 to ENI eni-1"),
        (act.UnassignIp("eni-1", "10.0.0.2"), "unassign IP 10.0.0.2 from ENI eni-1"),
        (act.ReserveIp("subnet-a", "10.0.0.2"), "reserve IP 10.0.0.2 in subnet subnet-a (AllocateStatus=specific)"),
        (act.UnreserveIp("subnet-a", "10.0.0.2"), "unreserve IP 10.0.0.2 in subnet subnet-a (AllocateStatus=random)"),
        (
            act.SetPodNetwork("default", "sts-0", "uid-1", "10.0.0.2", "eni-1", "fa:16:3e:00:00:01"),
            "set pod default/sts-0 network: IP 10.0.0.2 on ENI eni-1 (MAC fa:16:3e:00:00:01)",
        ),
    ],
)
def test_every_action_describes_itself_in_one_line(action, line):
    assert action.describe() == line and "\n" not in line


def test_refs_resolve_from_the_eni_createeni_returned_also_inside_a_reservation():
    record = Reservation(
        "default", "sts-0", Mode.EXCLUSIVE, eni_id=Ref(), ip=Ref("new-eni", "primary_ip"), mac=Ref("new-eni", "mac")
    )
    resolved = act.resolve_refs(act.WriteReservation(record), CREATED)
    assert (resolved.reservation.eni_id, resolved.reservation.ip, resolved.reservation.mac) == (
        "eni-9",
        "10.0.0.9",
        "fa:16:3e:00:00:09",
    )
    assert act.resolve_refs(act.AttachEni(Ref(), "i-1"), CREATED) == act.AttachEni("eni-9", "i-1")
    plain = act.DetachEni("eni-1", "i-1")
    assert act.resolve_refs(plain, CREATED) is plain


def test_a_ref_used_before_its_eni_is_created_says_to_run_actions_in_order():
    with pytest.raises(FixedIpError, match="before the action that creates 'new-eni' ran"):
        act.resolve_refs(act.AttachEni(Ref(), "i-1"), {})


def test_the_domain_does_no_io_and_imports_only_the_standard_library_and_itself():
    # json: parsing text handed in (a NetworkAttachmentDefinition's config) is no I/O.
    allowed = {
        "__future__",
        "copy",
        "dataclasses",
        "datetime",
        "enum",
        "hashlib",
        "ipaddress",
        "json",
        "re",
        "types",
        "typing",
    }
    folder = Path(act.__file__).parent
    files = sorted(folder.glob("*.py"))
    assert len(files) >= 10
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module]
            else:
                continue
            for name in names:
                assert name in allowed or name.startswith(
                    "ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip."
                ), (path.name, name)
        assert "print" not in {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}, path.name
        assert not any(isinstance(node, ast.Assert) for node in ast.walk(tree)), path.name
