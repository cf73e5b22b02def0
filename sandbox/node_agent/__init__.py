"""Plays kubelet and vpc-cni for the sandbox's nodes: keeps them Ready, gives pods their IPs, releases them.

The agent runs the collection's own flows (``ansible_collections.ksyun.kce``), so the checkout is
made importable under that name here, whichever way the agent is started.
"""

import sys

from sandbox.paths import collections_root

if str(collections_root()) not in sys.path:
    sys.path.insert(0, str(collections_root()))
