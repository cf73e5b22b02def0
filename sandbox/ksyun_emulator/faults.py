"""Fault injection: latency, throttling, 5xx, dropped connections (before or after the action ran), fail-the-Nth-call,
and hung calls (``hang`` before the action runs, ``hang_after`` once it ran): the connection is held open until the
faults are reset or ``hang_seconds`` pass, then dropped - so a test can kill its client at a known point, with the
call's effect known to be there (hang_after) or not (hang).

Throttling answers HTTP 400 with code ``Throttling`` by default: KSYUN's Terraform provider names that
code (``ksyun/errors.go``) and the real status is unknown; 400 is the harder case for a client,
because only the code, not the status, says "retry". ``throttle_status`` switches it to 429 or 503.
"""

import random
import threading
from dataclasses import asdict, dataclass, fields

from .settings import coerce

KINDS = ("throttle", "error", "drop", "drop_after", "hang", "hang_after")
SCOPES = ("all", "reads", "writes")


@dataclass
class FaultConfig:
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    throttle_rate: float = 0.0
    throttle_status: int = 400
    throttle_code: str = "Throttling"
    error_rate: float = 0.0
    error_status: int = 500
    error_code: str = "INTERNAL_FAILURE"
    drop_rate: float = 0.0
    drop_phase: str = "before"
    hang_seconds: float = 120.0
    fault_seed: int = 0


@dataclass
class Decision:
    kind: str = None
    status: int = 0
    code: str = ""
    message: str = ""
    latency: float = 0.0


class Rule:
    """Fail the ``nth`` matching call (and the ``times - 1`` matching calls after it)."""

    def __init__(self, spec, config):
        unknown = set(spec) - {"nth", "action", "scope", "mode", "times", "status", "code", "message", "caller"}
        if unknown:
            raise ValueError("unknown fail_nth keys %s" % ", ".join(sorted(unknown)))
        self.nth = coerce("nth", spec.get("nth", 1), "int")
        self.times = coerce("times", spec.get("times", 1), "int")
        if self.nth < 1 or self.times < 1:
            raise ValueError("fail_nth needs nth >= 1 and times >= 1, got %r" % spec)
        self.action = spec.get("action")
        self.caller = spec.get("caller")  # only calls signed with this access key id count (others on one emulator)
        self.scope = spec.get("scope", "all")
        self.mode = spec.get("mode", "error")
        if self.scope not in SCOPES or self.mode not in KINDS:
            raise ValueError("fail_nth scope must be one of %s and mode one of %s, got %r" % (SCOPES, KINDS, spec))
        default_status = {"throttle": config.throttle_status, "error": config.error_status}.get(self.mode, 0)
        default_code = {"throttle": config.throttle_code, "error": config.error_code}.get(self.mode, "")
        self.status = coerce("status", spec.get("status", default_status), "int")
        self.code = spec.get("code", default_code)
        self.message = spec.get("message", "Injected fault (call %d)." % self.nth)
        self.seen = 0

    def hit(self, action, write, caller=""):
        if self.action and self.action != action or self.caller and self.caller != caller:
            return False
        if self.scope == "writes" and not write or self.scope == "reads" and write:
            return False
        self.seen += 1
        return self.nth <= self.seen < self.nth + self.times

    def as_dict(self):
        return {
            "nth": self.nth,
            "times": self.times,
            "action": self.action,
            "caller": self.caller,
            "scope": self.scope,
            "mode": self.mode,
            "status": self.status,
            "code": self.code,
            "seen": self.seen,
        }


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self._released = threading.Event()
        self.reset()

    def reset(self):
        self.config = FaultConfig()
        self.rules = []
        self.rng = random.Random(self.config.fault_seed)
        self._release()

    def _release(self):
        """End every hung call (reset and configure do), and hang the next ones anew."""
        released, self._released = self._released, threading.Event()
        released.set()

    def hold(self):
        """Hang the calling request until the faults are reset or reconfigured, or hang_seconds pass."""
        self._released.wait(self.config.hang_seconds)

    def configure(self, values):
        """Update rates/latency/codes and replace the fail_nth rules; any change reseeds the RNG."""
        with self.lock:
            known = {f.name: f for f in fields(FaultConfig)}
            staged = dict(asdict(self.config))
            for key, raw in values.items():
                if key == "fail_nth":
                    continue
                if key not in known:
                    raise ValueError("unknown fault setting %r; known: %s, fail_nth" % (key, ", ".join(sorted(known))))
                staged[key] = coerce(key, raw, known[key].type)
            if staged["drop_phase"] not in ("before", "after"):
                raise ValueError("drop_phase must be before or after, got %r" % staged["drop_phase"])
            config = FaultConfig(**staged)
            rules = self.rules
            if "fail_nth" in values:
                specs = values["fail_nth"] or []
                rules = [Rule(spec, config) for spec in (specs if isinstance(specs, list) else [specs])]
            self.config, self.rules = config, rules
            self.rng = random.Random(config.fault_seed)
            self._release()

    def as_dict(self):
        with self.lock:
            return dict(asdict(self.config), fail_nth=[r.as_dict() for r in self.rules])

    def decide(self, action, write, caller=""):
        """What to do to this call; rules are checked first, then the rates (each rate draws once)."""
        with self.lock:
            cfg = self.config
            latency = cfg.latency_ms / 1000.0
            if cfg.latency_jitter_ms:
                latency += self.rng.uniform(0, cfg.latency_jitter_ms) / 1000.0
            for rule in self.rules:
                if rule.hit(action, write, caller):
                    return Decision(rule.mode, rule.status, rule.code, rule.message, latency)
            if cfg.drop_rate and self.rng.random() < cfg.drop_rate:
                return Decision("drop" if cfg.drop_phase == "before" else "drop_after", latency=latency)
            if cfg.throttle_rate and self.rng.random() < cfg.throttle_rate:
                return Decision(
                    "throttle",
                    cfg.throttle_status,
                    cfg.throttle_code,
                    "Request was denied due to request throttling.",
                    latency,
                )
            if cfg.error_rate and self.rng.random() < cfg.error_rate:
                return Decision(
                    "error", cfg.error_status, cfg.error_code, "An internal error occurred; try again later.", latency
                )
            return Decision(latency=latency)
