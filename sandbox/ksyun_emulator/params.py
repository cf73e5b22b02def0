"""Reading KSYUN query parameters: scalars, 1-based ``X.N`` lists and ``Filter.N.Name[.1]`` / ``Filter.N.Value.M``."""

import re

from .errors import ApiError, invalid, missing

_INDEX = re.compile(r"^\d+$")


class Params:
    """The merged query/form parameters of one call."""

    def __init__(self, flat, accept_zero_based=False):
        self.flat = flat
        self.accept_zero_based = accept_zero_based
        self._check_indexes()

    def _check_indexes(self):
        if self.accept_zero_based:
            return
        for key in sorted(self.flat):
            parts = key.split(".")
            for pos, part in enumerate(parts[1:], start=1):
                if part == "0":
                    fixed = ".".join(parts[:pos] + ["1"] + parts[pos + 1 :])
                    raise ApiError(
                        "InvalidParameterValue",
                        "An invalid or out-of-range value was supplied for the input parameter %s: "
                        "list parameters are numbered from 1 (send %s first)." % (key, fixed),
                    )

    def str(self, name, required=False, default=None):
        value = self.flat.get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return default
        return value

    def int(self, name, default=None, minimum=None, maximum=None):
        raw = self.str(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid(name, raw, "expected an integer") from None
        if minimum is not None and value < minimum or maximum is not None and value > maximum:
            raise invalid(name, raw, "allowed range is %s..%s" % (minimum, maximum))
        return value

    def list(self, name, required=False):
        """Values of ``name.1``, ``name.2``, ... in index order (gaps allowed, as the index only orders)."""
        pattern = re.compile(r"^%s\.(\d+)$" % re.escape(name))
        items = []
        for key, value in self.flat.items():
            match = pattern.match(key)
            if match:
                items.append((int(match.group(1)), value))
        if not items and self.flat.get(name):
            raise invalid(name, self.flat[name], "this is a list parameter; send it as %s.1, %s.2, ..." % (name, name))
        if not items and required:
            raise missing(name + ".1")
        return [value for _index, value in sorted(items)]

    def filters(self, allowed):
        """``[(name, [values])]`` of ``Filter.N``; a name outside ``allowed`` is refused."""
        names, values = {}, {}
        for key, value in self.flat.items():
            parts = key.split(".")
            if parts[0] != "Filter":
                continue
            if len(parts) < 3 or not _INDEX.match(parts[1]):
                raise invalid(key, value, "expected Filter.N.Name or Filter.N.Value.M")
            index = int(parts[1])
            if parts[2] == "Name" and (len(parts) == 3 or len(parts) == 4 and _INDEX.match(parts[3])):
                names[index] = value
            elif parts[2] == "Value" and len(parts) == 4 and _INDEX.match(parts[3]):
                values.setdefault(index, []).append((int(parts[3]), value))
            else:
                raise invalid(key, value, "expected Filter.N.Name or Filter.N.Value.M")
        out = []
        for index in sorted(set(names) | set(values)):
            if index not in names:
                raise missing("Filter.%d.Name" % index)
            name = names[index]
            if name not in allowed:
                raise invalid("Filter.%d.Name" % index, name, "supported filters: %s" % ", ".join(allowed))
            if index not in values:
                raise missing("Filter.%d.Value.1" % index)
            out.append((name, [v for _position, v in sorted(values[index])]))
        return out
