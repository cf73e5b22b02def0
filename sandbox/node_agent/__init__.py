"""Plays kubelet and vpc-cni for the sandbox's nodes: keeps them Ready, gives pods their IPs, releases them.

The agent runs the collection's own flows (``ansible_collections.ksyun.kce``), importable once ``sandbox`` is
imported (sandbox/__init__.py).
"""
