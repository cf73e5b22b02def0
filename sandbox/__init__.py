"""Local stand-ins for a KCE cluster: a real control plane, a KSYUN API emulator, a node agent.

Not shipped with the collection (see galaxy.yml build_ignore).
"""
