"""Plays kubelet (and later vpc-cni) for the sandbox's nodes: registers them and keeps them Ready."""
