"""A strict reader of the Prometheus text exposition format 0.0.4, for the end-to-end tests.

parse(text) returns {family: {"type", "help", "samples": {(name, labels): value}}} where labels
is a sorted tuple of (name, value) pairs, or raises PrometheusFormatError saying why a real
scraper could refuse the page: metric and label names by the format's grammar, label values
with only the \\\\, \\" and \\n escapes, HELP and TYPE at most once per family and before its
samples, every sample in a TYPEd family with its family's lines together, no duplicate series,
counters named *_total with non-negative values, histogram buckets cumulative and ending at
+Inf equal to _count. value(page, name, **labels) reads one series (None when absent).
"""
import math
import re

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class PrometheusFormatError(ValueError):
    pass


def _value(text, line):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise PrometheusFormatError(f"line {line}: bad value {text!r}")
    return float(text)


def _labels(text, at, line):
    """Parses `{a="b",...}` from text[at]; returns (labels, index after the closing brace)."""
    labels = {}
    at += 1
    while at < len(text) and text[at] != "}":
        match = LABEL_NAME.match(text, at)
        if not match or text[match.end():match.end() + 2] != '="':
            raise PrometheusFormatError(f"line {line}: bad label at column {at}")
        name, at = match.group(), match.end() + 2
        value = []
        while True:
            if at >= len(text):
                raise PrometheusFormatError(f"line {line}: unterminated label value")
            ch = text[at]
            if ch == '"':
                break
            if ch == "\\":
                escaped = text[at + 1:at + 2]
                if escaped not in ("\\", '"', "n"):
                    raise PrometheusFormatError(f"line {line}: bad escape \\{escaped}")
                value.append("\n" if escaped == "n" else escaped)
                at += 2
                continue
            if ch == "\n":
                raise PrometheusFormatError(f"line {line}: raw newline in a label value")
            value.append(ch)
            at += 1
        if name in labels:
            raise PrometheusFormatError(f"line {line}: label {name} twice")
        labels[name] = "".join(value)
        at += 1
        if at < len(text) and text[at] == ",":
            at += 1
    if at >= len(text):
        raise PrometheusFormatError(f"line {line}: unterminated label set")
    return labels, at + 1


def parse(text):
    if text and not text.endswith("\n"):
        raise PrometheusFormatError("the page must end with a newline")
    families, closed, current = {}, set(), None

    def enter(family, line):
        nonlocal current
        if family == current:
            return
        if current is not None:
            closed.add(current)
        if family in closed:
            raise PrometheusFormatError(f"line {line}: {family} is not contiguous")
        current = family

    for number, line in enumerate(text.split("\n")[:-1], 1):
        if not line:
            continue
        if line.startswith("#"):
            words = line.split(" ", 3)
            if len(words) < 3 or words[1] not in ("HELP", "TYPE"):
                continue  # a plain comment
            kind, name = words[1], words[2]
            if not METRIC_NAME.fullmatch(name):
                raise PrometheusFormatError(f"line {number}: bad name {name!r}")
            enter(name, number)
            family = families.setdefault(name, {"type": None, "help": None, "samples": {}})
            if family["samples"]:
                raise PrometheusFormatError(f"line {number}: {kind} of {name} after samples")
            key = kind.lower()
            if family[key] is not None:
                raise PrometheusFormatError(f"line {number}: second {kind} for {name}")
            rest = words[3] if len(words) > 3 else ""
            if kind == "TYPE":
                if rest not in TYPES:
                    raise PrometheusFormatError(f"line {number}: unknown type {rest!r}")
                if rest == "counter" and not name.endswith("_total"):
                    raise PrometheusFormatError(f"line {number}: counter {name} not *_total")
            elif re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                raise PrometheusFormatError(f"line {number}: bad escape in HELP")
            family[key] = rest
            continue
        match = METRIC_NAME.match(line)
        if not match:
            raise PrometheusFormatError(f"line {number}: bad metric name")
        name, at, labels = match.group(), match.end(), {}
        if line[at:at + 1] == "{":
            labels, at = _labels(line, at, number)
        if line[at:at + 1] != " ":
            raise PrometheusFormatError(f"line {number}: no space before the value")
        parts = line[at + 1:].split(" ")
        if len(parts) > 2 or (len(parts) == 2 and not re.fullmatch(r"-?\d+", parts[1])):
            raise PrometheusFormatError(f"line {number}: junk after the value")
        value = _value(parts[0], number)
        family_name = name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and families.get(base, {}).get("type") == "histogram":
                family_name = base
        family = families.get(family_name)
        if family is None or family["type"] is None:
            raise PrometheusFormatError(f"line {number}: {name} has no TYPE before it")
        enter(family_name, number)
        if family["type"] == "counter" and not value >= 0:
            raise PrometheusFormatError(f"line {number}: counter {name} = {value}")
        key = (name, tuple(sorted(labels.items())))
        if key in family["samples"]:
            raise PrometheusFormatError(f"line {number}: duplicate series {key}")
        family["samples"][key] = value
    for family_name, family in families.items():
        if family["type"] == "histogram":
            _check_histogram(family_name, family["samples"])
    return families


def _check_histogram(name, samples):
    series = {}
    for (sample, labels), value in samples.items():
        if sample == name + "_bucket":
            rest = tuple(l for l in labels if l[0] != "le")
            le = dict(labels).get("le")
            if le is None:
                raise PrometheusFormatError(f"{name}: bucket without le")
            series.setdefault(rest, []).append((_value(le, 0), value))
    for rest, buckets in series.items():
        buckets.sort()
        counts = [count for _, count in buckets]
        if counts != sorted(counts):
            raise PrometheusFormatError(f"{name}{rest}: buckets not cumulative")
        if buckets[-1][0] != math.inf:
            raise PrometheusFormatError(f"{name}{rest}: no +Inf bucket")
        if samples.get((name + "_count", rest)) != buckets[-1][1]:
            raise PrometheusFormatError(f"{name}{rest}: +Inf bucket != _count")


def value(page, name, **labels):
    """The value of one series, or None."""
    key = (name, tuple(sorted(labels.items())))
    for family in page.values():
        if key in family["samples"]:
            return family["samples"][key]
    return None
