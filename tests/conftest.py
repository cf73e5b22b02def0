"""Makes ``ansible_collections.ksyun.kce`` importable from this checkout for every test.

Under pytest-xdist (hack/run_pytest.py runs the whole suite on two workers) each worker gets a sandbox of its own:
KSYUN_KCE_SANDBOX_DIR becomes ``<the sandbox folder>-<worker id>`` before any fixture reads it, so the workers never
share a control plane, an emulator or a node agent (and no test counts another worker's writes). A coverage run
(KSYUN_KCE_COVERAGE_RCFILE) records each worker's data next to the controller's.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.paths import collections_root, state_dir  # noqa: E402

_ROOT = str(collections_root())
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    os.environ["KSYUN_KCE_SANDBOX_DIR"] = "%s-%s" % (state_dir(), _WORKER)

# In an xdist worker of a coverage run: record as `coverage run` does for the controller, from before the tests'
# imports of the collection (this file is the first one pytest loads) to the end of the worker (pytest_unconfigure).
_COVERAGE = None
if _WORKER and os.environ.get("KSYUN_KCE_COVERAGE_RCFILE"):
    import coverage

    _COVERAGE = coverage.Coverage(config_file=os.environ["KSYUN_KCE_COVERAGE_RCFILE"])
    _COVERAGE.start()


def pytest_unconfigure(config):  # pylint: disable=unused-argument
    if _COVERAGE is not None:
        _COVERAGE.stop()
        _COVERAGE.save()


# The files that take longest (minutes each, measured with --durations), started first so that under xdist no worker is
# left with one of them at the end while the other idles; every other file keeps pytest's order.
SLOWEST_FIRST = (
    "tests/molecule/test_scenarios.py",
    "tests/sandbox/test_fixed_ip_faults.py",
    "tests/sandbox/test_fixed_ip_cloud_behaviours.py",
    "tests/sandbox/test_argocd_hooks.py",
    "tests/sandbox/test_argocd.py",
    "tests/integration/fixed_ip/test_fixed_ip_modules.py",
    "tests/integration/roles/test_fixed_ip_statefulset_eip.py",
)


def pytest_collection_modifyitems(config, items):  # pylint: disable=unused-argument
    """The order above. Under ``--dist loadgroup`` (hack/run_pytest.py) each test is a unit of work of its own: xdist
    hands out the tests in this order, one by one, and a module fixture is set up on each worker that runs a test of its
    module (the tests of a file do not depend on each other's order or worker)."""
    rank = {path: index for index, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


# The sandbox fixtures (sandbox_state, kube, wait_for) for tests/sandbox and tests/integration/fixed_ip alike.
pytest_plugins = ["fixtures_sandbox"]


def pytest_terminal_summary(terminalreporter, config):
    """After a run that included the docs' console blocks: the blocks tests/sandbox/test_docs_commands.py does not run,
    each with why (tests/docs_console.py NOT_RUN)."""
    root, tests = str(config.rootpath), ("tests/sandbox/test_docs_commands.py", "tests/unit/test_docs_console.py")
    args = [os.path.relpath(os.path.abspath(arg.split("::")[0]), root) for arg in config.args] or ["."]
    if not any(arg == "." or test == arg or test.startswith(arg.rstrip("/") + "/") for arg in args for test in tests):
        return
    from docs_console import not_run_summary  # pylint: disable=import-outside-toplevel

    terminalreporter.section("docs console blocks not run (tests/docs_console.py NOT_RUN)")
    for line in not_run_summary():
        terminalreporter.write_line(line)
