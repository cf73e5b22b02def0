"""The benchmarks share the sandbox with users and tests: they leave no second PodEni/PodEniIP group behind.

A second group makes `kubectl get podeniip` ambiguous (kubectl picks one of the groups; the user may see the
benchmark's records instead of the collection's). benchmarks/flows.py runs one real cycle here (bind, no-op bind,
release against an in-process emulator) after an "interrupted earlier run" left its CRDs, and must remove them all.
"""

import pytest
from kubernetes import client

from benchmarks import flows as flow_bench
from sandbox import kubectl
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY
from sandbox.ksyun_emulator import Emulator

pytestmark = pytest.mark.controlplane


def _bench_crds(ext):
    return sorted(
        c.metadata.name for c in ext.list_custom_resource_definition().items if c.spec.group == flow_bench.GROUP
    )


def test_flow_benchmark_removes_its_crds_also_those_an_interrupted_run_left(kube, sandbox_state, wait_for):
    ext = client.ApiextensionsV1Api(kube)
    leftover = flow_bench.Bench(kube)  # an earlier run that never reached close()
    assert _bench_crds(ext) == sorted(leftover.crds)

    bench = flow_bench.Bench(kube)
    try:
        with Emulator(DEFAULT_TOPOLOGY, settings={"transition_seconds": 0}) as emulator:
            steps = bench.cycle(emulator)
    finally:
        bench.close()

    assert [s[0] for s in steps] == ["bind", "bind again (no-op)", "release"]
    assert _bench_crds(ext) == []
    assert not [n for n in client.CoreV1Api(kube).list_node().items if n.metadata.name == flow_bench.NODE]
    # The user's short name resolves to the collection's group alone again.
    out = kubectl.run(sandbox_state, "get", "podeniip", "-A", "-o", "jsonpath={.items[*].apiVersion}")
    assert out.returncode == 0, out.stderr
    assert set(out.stdout.split()) <= {"k8s.ksyun.com/v1"}, out.stdout
    resources = kubectl.run(sandbox_state, "api-resources", "--api-group", flow_bench.GROUP, "-o", "name")
    assert resources.returncode == 0 and resources.stdout.strip() == "", resources.stdout
