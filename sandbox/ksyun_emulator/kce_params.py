"""Reading KCE parameters: the three list index forms (``X.0``, ``X.1``, ``X[0]``), booleans, object lists, paging.

``X[n]`` (Java SDK, sheet §1.3) is read as ``X.n``, so the ``accept_zero_based_lists`` rule applies to it as well.
JSON bodies arrive already flattened (server.flatten_json: lists 1-based, booleans ``true``/``false``).
"""

import re

from .errors import invalid
from .params import Params

_BRACKET = re.compile(r"\[(\d+)\]")
_TRUE, _FALSE = "true", "false"


def unbracket(flat):
    """``X[0].Y`` -> ``X.0.Y``; the same key in both spellings with different values is refused."""
    out = {}
    for key, value in flat.items():
        plain = _BRACKET.sub(r".\1", key)
        if plain in out and out[plain] != value:
            raise invalid(key, value, "the parameter %s was also sent with the value %r" % (plain, out[plain]))
        out[plain] = value
    return out


class KceParams(Params):
    def __init__(self, flat, accept_zero_based=False, strict_booleans=False):
        super().__init__(unbracket(flat), accept_zero_based)
        self.strict_booleans = strict_booleans

    def bool(self, name, default=None):
        raw = self.str(name)
        if raw is None:
            return default
        text = raw if self.strict_booleans else raw.lower()
        if text == _TRUE:
            return True
        if text == _FALSE:
            return False
        allowed = "true or false (lowercase)" if self.strict_booleans else "true or false"
        raise invalid(name, raw, "expected a boolean: %s" % allowed)

    def objects(self, name):
        """``[(N, {field: value})]`` of ``name.N.field`` in index order (``name.N.field.M`` stays a dotted field key);
        N is the index as sent, so a message can name the key the caller sent."""
        pattern = re.compile(r"^%s\.(\d+)\.(.+)$" % re.escape(name))
        grouped = {}
        for key, value in self.flat.items():
            match = pattern.match(key)
            if match:
                grouped.setdefault(int(match.group(1)), {})[match.group(2)] = value
            elif key == name or key.startswith(name + "."):
                raise invalid(key, value, "this is a list of objects; send it as %s.1.<Field>" % name)
        return [(index, grouped[index]) for index in sorted(grouped)]

    def prefixed(self, name):
        """True when any key is ``name`` or starts with ``name.``."""
        return any(key == name or key.startswith(name + ".") for key in self.flat)

    def unknown_under(self, name, known):
        """Refuse ``name.<field>`` keys whose field is not in ``known`` (a list field may carry ``.N``)."""
        for key, value in self.flat.items():
            if key.startswith(name + "."):
                field = key[len(name) + 1 :].split(".")[0]
                if field not in known:
                    raise invalid(key, value, "%s takes %s" % (name, ", ".join("%s.%s" % (name, k) for k in known)))


def offset_page(params, items, default_size, maximum):
    """``(page, fields)``: Marker is an offset; the answer's Marker is the next offset, or 0 once all were returned.

    MaxResults 0 (allowed by the documented ranges "0-20" / "0-50") means the default size."""
    size = params.int("MaxResults", default=default_size, minimum=0, maximum=maximum) or default_size
    start = params.int("Marker", default=0, minimum=0)
    page = items[start : start + size]
    following = start + len(page)
    return page, {"MaxResults": size, "Marker": following if following < len(items) else 0, "TotalCount": len(items)}
