"""Makes ``ansible_collections.ksyun.kce`` importable from this checkout for every test."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.paths import collections_root  # noqa: E402

_ROOT = str(collections_root())
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

# The sandbox fixtures (sandbox_state, kube, wait_for) for tests/sandbox and tests/integration/fixed_ip alike.
pytest_plugins = ["fixtures_sandbox"]
