"""README's checkable claims about the data plane, checked against the source (issue 16).

Every name README puts in backticks that looks like a counter name (lower_snake_case) must be
one the router exports: a drop reason or verdict of src/dataplane/verdict.h's descriptors, a
parse error, a router or per-ENI counter of src/router/counter_totals.h (kWorkerCounterFields,
kEniTrafficFields: openvpc_eni_<name>_total), a /metrics
family src/router/metrics_text.cc names in full, or a counters.json key listed here. The fragment-hold limits README states must
be PipelineConfig's defaults (what openvpc-router runs with). What README says a trace shows
for a SYN-ACK, or that later fragments are held, is checked by tests/unit/dataplane/trace_test
and tests/e2e/test_fragments.py. No build or root needed.
"""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COUNTERS_JSON_KEYS = {"flow_logs"}


def readme():
    return (ROOT / "README.md").read_text()


def descriptor_names(table):
    text = (ROOT / "src/dataplane/verdict.h").read_text()
    body = text[text.index(f"{table} = {{{{"):]
    body = body[:body.index("}};")]
    return set(re.findall(r'\{\w+::\w+, "(\w+)"', body))


def worker_counter_names():
    text = (ROOT / "src/router/counter_totals.h").read_text()
    body = text[text.index("kWorkerCounterFields = {"):]
    body = body[:body.index("};")]
    return set(re.findall(r'WorkerCounterField\{"(\w+)"', body))


def eni_counter_names():
    text = (ROOT / "src/router/counter_totals.h").read_text()
    body = text[text.index("kEniTrafficFields = {"):]
    body = body[:body.index("};")]
    return set(re.findall(r'CounterField<dataplane::EniCounters>\{\s*"(\w+)"', body))


def metric_family_names():
    """The /metrics families the router names in full (src/router/metrics_text.cc)."""
    text = (ROOT / "src/router/metrics_text.cc").read_text()
    return set(re.findall(r'"(openvpc_[a-z0-9_]+)"', text))


def parse_error_names():
    text = (ROOT / "src/packet/parser.cc").read_text()
    return set(re.findall(r'^\s+"(\w+)",$', text, re.MULTILINE))


def test_every_counter_name_in_readme_is_exported():
    names = descriptor_names("kDropReasons") | descriptor_names("kVerdicts") | \
        parse_error_names() | worker_counter_names() | eni_counter_names() | \
        metric_family_names() | COUNTERS_JSON_KEYS
    assert "fragment_orphan" in names and "vlan_tagged" in names  # the parsing works
    assert "openvpc_eni_tracked_connections" in names
    assert "gso_segmented" in names and "handed_off" in names
    assert {"rx_packets", "ce_marked"} <= eni_counter_names()
    quoted = set(re.findall(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`", readme()))
    assert quoted, "README names no counters"
    assert quoted <= names, f"README names counters nothing exports: {sorted(quoted - names)}"


def test_fragment_hold_limits_are_the_router_defaults():
    header = (ROOT / "src/dataplane/pipeline.h").read_text()
    slots = re.search(r"fragment_hold_slots = (\d+);", header).group(1)
    per_eni = re.search(r"fragment_hold_slots_per_eni = (\d+);", header).group(1)
    seconds = re.search(r"fragment_hold_seconds = (\d+);", header).group(1)
    text = " ".join(readme().split())
    assert f"a worker holds at most {slots}, one ENI at most {per_eni} of them" in text
    assert f"held, {int(seconds) - 1} to {seconds} s" in text
    assert "rather than held" not in text  # the old, false claim (issue 16)
