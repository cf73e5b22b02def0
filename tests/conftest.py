"""Makes ``ansible_collections.ksyun.kce`` importable from this checkout for every test."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.paths import collections_root  # noqa: E402

_ROOT = str(collections_root())
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
