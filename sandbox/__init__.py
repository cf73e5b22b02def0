"""Local stand-ins for a KCE cluster: a real control plane, a KSYUN API emulator, a node agent.

Not shipped with the collection (see galaxy.yml build_ignore). The node agent and the add-ons (sandbox/addons.py)
run the collection's own code (``ansible_collections.ksyun.kce``), so the checkout is made importable under that
name here, whichever way a sandbox module is started.
"""

import sys

from sandbox.paths import collections_root

if str(collections_root()) not in sys.path:
    sys.path.insert(0, str(collections_root()))
