# -*- coding: utf-8 -*-
"""The one failure path of the modules: what each kind of error becomes for the user (runner/base.py failure)."""

from __future__ import annotations

import pytest
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import unreachable
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import ModuleError, failure


class Refused(Exception):
    """A Kubernetes API answer (the dynamic client's errors carry the HTTP status)."""

    status = 403


def refused_connection():
    return MaxRetryError(
        None,
        "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kcefip-subnet-1",
        NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused"),
    )


@pytest.mark.parametrize("exc", [refused_connection(), ProtocolError("Connection aborted.")], ids=["refused", "reset"])
def test_an_api_server_that_cannot_be_reached_is_a_clear_message_with_what_to_do(exc):
    assert unreachable(exc)
    failed = failure(exc)
    assert failed["msg"].startswith("the Kubernetes API server could not be reached (")
    assert "run the task again: the rerun finishes what this run started" in failed["msg"]


def test_an_answer_of_the_api_server_and_a_bug_are_not_taken_for_an_unreachable_server():
    assert not unreachable(Refused("forbidden")) and failure(Refused("forbidden"))["status"] == 403
    assert not unreachable(KeyError("x")) and failure(KeyError("x")) is None
    assert failure(ModuleError("name: bad", option="name")) == {"msg": "name: bad", "option": "name"}
