"""Bounded benchmarks of the cloud client and the fixed-IP flows on loopback only (``python -m benchmarks``).

Timings are reported, never asserted. Importing this package makes ``ansible_collections.ksyun.kce``
importable from the checkout (as tests/conftest.py does).
"""

import sys
from pathlib import Path

REPO = str(Path(__file__).resolve().parent.parent)
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from sandbox.paths import collections_root  # noqa: E402  pylint: disable=wrong-import-position

COLLECTIONS = str(collections_root())
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
