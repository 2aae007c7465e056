"""openvpc's packet builders checked against an independent dissector: tshark.

openvpc-packet writes a pcap of packets built by src/packet (Geneve-encapsulated TCP and UDP
with openvpc's VPC option, a TCP SYN with options, an ICMP echo) and prints what each was built
from; tshark, with checksum validation on, must read back the same VNI, option class/type, ENIs,
addresses and ports, and find every checksum good.
"""
import json
import subprocess

import pytest

TSHARK_CHECKSUMS = ["-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                    "-o", "ip.check_checksum:TRUE"]


def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def demo(packet_tool, tmp_path_factory):
    pcap = tmp_path_factory.mktemp("pcap") / "demo.pcap"
    built = json.loads(subprocess.run([str(packet_tool), "demo-pcap", str(pcap), "--json"],
                                      check=True, capture_output=True, text=True,
                                      timeout=60).stdout)
    dissected = json.loads(subprocess.run(
        ["tshark", "-r", str(pcap), "-T", "json", "--no-duplicate-keys"] + TSHARK_CHECKSUMS,
        check=True, capture_output=True, text=True, timeout=120).stdout)
    layers = [packet["_source"]["layers"] for packet in dissected]
    assert len(layers) == len(built)
    return pcap, built, layers


def geneve_cases(built):
    return [i for i, b in enumerate(built) if b["kind"] == "geneve"]


def test_demo_has_geneve_tcp_and_udp(demo):
    _, built, _ = demo
    protocols = {built[i]["protocol"] for i in geneve_cases(built)}
    assert protocols == {"tcp", "udp"}


def test_geneve_header_and_vpc_option(demo):
    _, built, layers = demo
    for i in geneve_cases(built):
        b, geneve = built[i], layers[i]["geneve"]
        assert int(geneve["geneve.vni"], 16) == b["vni"]
        assert geneve["geneve.version"] == "0"
        assert int(geneve["geneve.proto_type"], 16) == 0x0800
        option = geneve["geneve.options_tree"]["geneve.option_tree"]
        assert int(option["geneve.option.class"], 16) == b["option_class"]
        assert int(option["geneve.option.type"], 16) == b["option_type"]
        assert option["geneve.option.type.critical"] == "0"
        data = bytes.fromhex(option["geneve.option.unknown.data"].replace(":", ""))
        assert int.from_bytes(data[0:4], "big") == b["source_eni"]
        assert int.from_bytes(data[4:8], "big") == b["destination_eni"]


def test_geneve_outer_and_inner_addresses_ports(demo):
    _, built, layers = demo
    for i in geneve_cases(built):
        b, l = built[i], layers[i]
        outer_ip, inner_ip = as_list(l["ip"])
        assert (outer_ip["ip.src"], outer_ip["ip.dst"]) == (b["outer_src"], b["outer_dst"])
        assert outer_ip["ip.flags_tree"]["ip.flags.df"] == "1"
        assert (inner_ip["ip.src"], inner_ip["ip.dst"]) == (b["inner_src"], b["inner_dst"])
        outer_udp = as_list(l["udp"])[0]
        assert int(outer_udp["udp.dstport"]) == 6081
        assert int(outer_udp["udp.srcport"]) == b["outer_src_port"]
        assert 49152 <= b["outer_src_port"] <= 65535
        inner_l4 = l["tcp"] if b["protocol"] == "tcp" else as_list(l["udp"])[1]
        prefix = b["protocol"]
        assert int(inner_l4[f"{prefix}.srcport"]) == b["src_port"]
        assert int(inner_l4[f"{prefix}.dstport"]) == b["dst_port"]


def checksum_statuses(layer, name):
    """All '<name>.checksum.status' values found anywhere in a (list of) layer dicts."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == f"{name}.checksum.status":
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(layer)
    return found


def test_every_checksum_is_valid(demo):
    _, built, layers = demo
    for i, l in enumerate(layers):
        statuses = {proto: checksum_statuses(l.get(proto), proto)
                    for proto in ("ip", "tcp", "udp", "icmp")}
        if built[i]["kind"] == "geneve":
            # The outer UDP carries checksum 0, "not present" (status 3), as RFC 8926 allows
            # over IPv4; every other checksum must be verified good (status 1).
            assert statuses["udp"][0] == "3", (i, statuses)
            statuses["udp"] = statuses["udp"][1:]
        checked = [s for values in statuses.values() for s in values]
        assert len(checked) >= 2, (i, statuses)
        assert all(s == "1" for s in checked), (i, statuses)


def test_plain_syn_options(demo):
    _, built, layers = demo
    (i,) = [i for i, b in enumerate(built) if b["kind"] == "tcp"]
    options = json.dumps(layers[i]["tcp"])
    assert '"tcp.options.mss_val": "%d"' % built[i]["mss"] in options
    assert '"tcp.options.wscale.shift": "%d"' % built[i]["window_scale"] in options
    assert "tcp.options.sack_perm" in options
    assert "tcp.options.timestamp.tsval" in options


def test_tshark_fields_agree_with_openvpc_parser(demo, parse_packets):
    """-T fields view of the pcap vs openvpc's own parser of the same frames."""
    pcap, built, _ = demo
    out = subprocess.run(
        ["tshark", "-r", str(pcap), "-T", "fields", "-E", "occurrence=l", "-e", "geneve.vni",
         "-e", "ip.src", "-e", "ip.dst", "-e", "ip.proto", "-e", "frame.protocols"]
        + TSHARK_CHECKSUMS, check=True, capture_output=True, text=True, timeout=120).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    frames = []
    with open(pcap, "rb") as f:
        data = f.read()
    at = 24
    while at < len(data):
        size = int.from_bytes(data[at + 8:at + 12], "little")
        frames.append(data[at + 16:at + 16 + size])
        at += 16 + size
    # Only the underlay decapsulates: a Geneve packet is parsed from its IP header on, as the
    # router receives it (in a frame from an instance it would be plain UDP to port 6081).
    metas = [parse_packets([frame[14:]], ip=True)[0] if row[0] else parse_packets([frame])[0]
             for row, frame in zip(rows, frames)]
    for row, meta in zip(rows, metas):
        vni, src, dst, proto, _ = row
        assert meta["error"] == "none"
        assert (meta["tuple"]["src"], meta["tuple"]["dst"]) == (src, dst)
        assert meta["tuple"]["protocol"] == int(proto)
        if vni:
            assert meta["geneve"]["vni"] == int(vni, 16)
            assert meta["geneve"]["source_eni"] == 0x11
