"""Start detached processes with their logs in files, and stop them for sure."""

import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    """A free loopback port below the kernel's ephemeral range.

    The ports are chosen before the components start; a port from the ephemeral range (what binding port 0 gives)
    can be taken in between by an outgoing connection of a component already running (the apiserver's to etcd),
    and the next component then fails to listen. Outgoing connections never use a port below the range."""
    low = _ephemeral_low() - 1
    for _attempt in range(200):
        port = random.randint(min(10000, low // 2), low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError(f"no free loopback port below {low + 1} after 200 tries")


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def start(name: str, argv: list, log_dir: Path, env=None) -> int:
    """Start argv in its own session (so `up` can return) and return its pid."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            close_fds=True,
        )
    return proc.pid


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ", 1)[1].split(" ", 1)[0] != "Z"
    except OSError:
        return False


def stop(pid: int, timeout: float = 15.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after the timeout."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _reap(pid)
            if not alive(pid):
                _wait_gone(pid)
                return
            time.sleep(0.1)


def kill(pid: int) -> None:
    """SIGKILL the process group at once (a crash, not a shutdown) and wait until it is gone."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _wait_gone(pid, timeout=15.0)


def _wait_gone(pid: int, timeout: float = 5.0) -> None:
    """A dead child of an exited parent stays a zombie until init reaps it; wait so `ps` is clean."""
    deadline = time.monotonic() + timeout
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.1)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
