"""openvpc's parser checked against an independent implementation: scapy.

Packets are built with scapy (normal ones, randomized ones, and malformed ones); openvpc's
parser (through `openvpc-packet parse`) must agree with scapy's dissection field by field, and
must reject each malformed packet with the ParseError that names what is wrong.
"""
import random

import pytest
from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, ICMPv6EchoRequest,
                       ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, ICMPv6PacketTooBig, IPerror, IPerror6,
                       TCPerror, UDPerror, Raw)
from scapy.contrib.geneve import GENEVE, GeneveOptions

MACS = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
VPC_OPTION = GeneveOptions(classid=0xff0c, type=1,
                           data=(0x11).to_bytes(4, "big") + (0x22).to_bytes(4, "big") + b"\0\1\0\0")


def offset_of(packet, layer):
    return len(bytes(packet)) - len(bytes(layer))


def first(packet, classes, after=None):
    """The first layer of packet that is one of classes (and comes after `after`)."""
    layer, seen = packet, after is None
    while layer is not None and layer.name != "NoPayload":
        if seen and isinstance(layer, classes):
            return layer
        if layer is after:
            seen = True
        layer = layer.payload if layer.payload.name != "NoPayload" else None
    return None


def is_icmpv6(layer):
    return layer.name.startswith("ICMPv6") and not isinstance(layer, IPerror6)


def expected_ip_fields(packet, ip):
    """What PacketMeta must say about the IP packet `ip` (and its upper layer) inside packet."""
    want = {"l3_offset": offset_of(packet, ip), "ip_version": ip.version,
            "tuple.src": ip.src, "tuple.dst": ip.dst}
    if isinstance(ip, IP):
        want.update({"ttl": ip.ttl, "tos": ip.tos, "ipv4_ihl": ip.ihl, "tuple.protocol": ip.proto,
                     "fragment.dont_fragment": bool(ip.flags.DF),
                     "fragment.more_fragments": bool(ip.flags.MF),
                     "fragment.offset": ip.frag * 8, "fragment.id": ip.id})
        l4 = ip.payload if ip.frag == 0 else None
    else:
        want.update({"ttl": ip.hlim, "tos": ip.tc})
        fragment = first(ip, (IPv6ExtHdrFragment,))
        if fragment is not None:
            want.update({"fragment.is_fragment": True, "fragment.offset": fragment.offset * 8,
                         "fragment.more_fragments": bool(fragment.m), "fragment.id": fragment.id})
        l4 = ip.payload
        while isinstance(l4, (IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrDestOpt,
                              IPv6ExtHdrFragment)):
            want["tuple.protocol"] = l4.nh
            if isinstance(l4, IPv6ExtHdrFragment) and l4.offset != 0:
                l4 = None
                break
            l4 = l4.payload
        if l4 is not None:
            want["tuple.protocol"] = {TCP: 6, UDP: 17}.get(type(l4), 58 if is_icmpv6(l4) else
                                                           want.get("tuple.protocol", ip.nh))
        elif "tuple.protocol" not in want:
            want["tuple.protocol"] = ip.nh
    if l4 is None or isinstance(l4, Raw):
        want["l4_offset"] = 0 if l4 is None else offset_of(packet, l4)
        return want
    want["l4_offset"] = offset_of(packet, l4)
    if isinstance(l4, TCP):
        options = dict((name, value) for name, value in l4.options)
        want.update({"tuple.src_port": l4.sport, "tuple.dst_port": l4.dport, "tcp.seq": l4.seq,
                     "tcp.ack": l4.ack, "tcp.flags": int(l4.flags), "tcp.window": l4.window,
                     "tcp.mss": options.get("MSS"), "tcp.window_scale": options.get("WScale"),
                     "tcp.sack_permitted": "SAckOK" in options,
                     "tcp.timestamps": list(options["Timestamp"]) if "Timestamp" in options
                     else None,
                     "payload_offset": offset_of(packet, l4) + l4.dataofs * 4})
    elif isinstance(l4, UDP):
        want.update({"tuple.src_port": l4.sport, "tuple.dst_port": l4.dport,
                     "payload_offset": offset_of(packet, l4) + 8})
    elif isinstance(l4, ICMP) or is_icmpv6(l4):
        want.update({"icmp.type": l4.type, "icmp.code": l4.code})
        if l4.type in (0, 8, 128, 129):
            want.update({"icmp.id": l4.id, "icmp.sequence": l4.seq,
                         "tuple.src_port": l4.id, "tuple.dst_port": l4.id})
        quoted = first(l4, (IPerror, IPerror6))
        if quoted is not None:
            want.update({"icmp.is_error": True, "icmp_inner.tuple.src": quoted.src,
                         "icmp_inner.tuple.dst": quoted.dst,
                         "icmp_inner.l3_offset": offset_of(packet, quoted)})
            inner_l4 = first(quoted, (TCPerror, UDPerror))
            if inner_l4 is not None:
                want.update({"icmp_inner.tuple.src_port": inner_l4.sport,
                             "icmp_inner.tuple.dst_port": inner_l4.dport})
    return want


def geneve_options(geneve):
    """scapy 2.5 dissects only the first Geneve option; dissect each one with GeneveOptions."""
    area = bytes(geneve)[8:8 + geneve.optionlen * 4]
    options = []
    while len(area) >= 4:
        option = GeneveOptions(area)
        options.append(option)
        area = area[4 + option.length * 4:]
    return options


def expected_meta(packet):
    want = {"error": "none", "size": len(bytes(packet))}
    if isinstance(packet, Ether):
        want.update({"ethernet.src": packet.src, "ethernet.dst": packet.dst})
        if Dot1Q in packet:
            want["vlan_tci"] = packet[Dot1Q].prio << 13 | packet[Dot1Q].vlan
        if ARP in packet:
            want.update({"arp_operation": packet[ARP].op, "l3_offset": offset_of(packet, packet[ARP])})
            return want
    # Only the underlay decapsulates: in an instance's frame a datagram to 6081 is plain UDP.
    if GENEVE in packet and not isinstance(packet, Ether):
        geneve, outer_ip, outer_udp = packet[GENEVE], packet[IP], packet[UDP]
        want.update({"geneve.vni": geneve.vni, "geneve.outer_src": outer_ip.src,
                     "geneve.outer_dst": outer_ip.dst, "geneve.outer_src_port": outer_udp.sport,
                     "geneve.outer_dst_port": 6081, "geneve.outer_ttl": outer_ip.ttl,
                     "geneve.header_offset": offset_of(packet, geneve),
                     "geneve.inner_offset": offset_of(packet, geneve.payload),
                     "geneve.options_size": geneve.optionlen * 4})
        vpc = [o.data for o in geneve_options(geneve) if o.classid == 0xff0c and o.type & 0x7f == 1]
        want["geneve.has_vpc_option"] = bool(vpc)
        if vpc:
            want.update({"geneve.source_eni": int.from_bytes(vpc[0][0:4], "big"),
                         "geneve.destination_eni": int.from_bytes(vpc[0][4:8], "big"),
                         "geneve.vpc_flags": int.from_bytes(vpc[0][8:10], "big")})
        want.update(expected_ip_fields(packet, geneve.payload))
        return want
    ip = packet if isinstance(packet, (IP, IPv6)) else first(packet, (IP, IPv6))
    want.update(expected_ip_fields(packet, ip))
    return want


def lookup(meta, dotted):
    value = meta
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return "<absent>"
        value = value[key]
    return value


def assert_agrees(packet, meta, description):
    want = expected_meta(packet)
    mismatches = {key: (expected, lookup(meta, key)) for key, expected in want.items()
                  if lookup(meta, key) != expected}
    assert not mismatches, f"{description}: (scapy, openvpc) differ: {mismatches}"


def tcp_syn(**kw):
    return TCP(sport=40000, dport=443, seq=1000, flags="S",
               options=[("MSS", 8961), ("SAckOK", b""), ("Timestamp", (123, 0)), ("NOP", None),
                        ("WScale", 7)], **kw)


V4 = dict(src="10.0.1.5", dst="10.0.2.7")
V6 = dict(src="2001:db8:1::5", dst="2001:db8:2::7")

WELL_FORMED = [
    ("IPv4 TCP SYN with options", Ether(**MACS) / IP(**V4, ttl=9, tos=0xb8, flags="DF") / tcp_syn()),
    ("tagged IPv4 UDP", Ether(**MACS) / Dot1Q(vlan=100, prio=5) / IP(**V4) / UDP(sport=5353, dport=53) / b"q"),
    ("IPv4 options", Ether(**MACS) / IP(**V4, options=b"\x94\x04\x00\x00") / UDP(sport=1, dport=2)),
    ("IPv4 first fragment", Ether(**MACS) / IP(**V4, id=77, flags="MF") / UDP(sport=1, dport=2) / (b"x" * 16)),
    ("IPv4 later fragment", Ether(**MACS) / IP(**V4, id=77, frag=185, proto=17) / (b"x" * 16)),
    ("IPv4 ICMP echo", Ether(**MACS) / IP(**V4) / ICMP(type=8, id=77, seq=3) / b"ping"),
    ("ICMP frag needed quoting TCP", Ether(**MACS) / IP(src="10.0.1.1", dst="10.0.1.5") /
     ICMP(type=3, code=4, nexthopmtu=1500) / IPerror(**V4) / TCPerror(sport=40000, dport=443)),
    ("ICMP port unreachable quoting UDP", IP(src="10.0.2.7", dst="10.0.1.5") /
     ICMP(type=3, code=3) / IPerror(**V4) / UDPerror(sport=5353, dport=53)),
    ("IPv6 TCP", Ether(**MACS) / IPv6(**V6, hlim=5, tc=0x20) / tcp_syn()),
    ("IPv6 hop-by-hop + destination options UDP",
     Ether(**MACS) / IPv6(**V6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / UDP(sport=1, dport=2)),
    ("IPv6 routing header TCP", IPv6(**V6) / IPv6ExtHdrRouting(addresses=["2001:db8::9"]) / TCP(sport=1, dport=2)),
    ("IPv6 first fragment", IPv6(**V6) / IPv6ExtHdrFragment(id=0x1234, m=1) / UDP(sport=1, dport=2) / (b"y" * 16)),
    ("IPv6 later fragment", IPv6(**V6) / IPv6ExtHdrFragment(id=0x1234, offset=10, nh=17) / (b"y" * 16)),
    ("ICMPv6 echo", Ether(**MACS) / IPv6(**V6) / ICMPv6EchoRequest(id=9, seq=4)),
    ("ICMPv6 packet too big quoting TCP", IPv6(src="2001:db8::1", dst=V6["src"]) /
     ICMPv6PacketTooBig(mtu=1280) / IPerror6(**V6) / TCPerror(sport=40000, dport=443)),
    ("neighbor solicitation", Ether(**MACS) / IPv6(src="fe80::1", dst="ff02::1:ff00:7") /
     ICMPv6ND_NS(tgt="2001:db8::7") / ICMPv6NDOptSrcLLAddr(lladdr=MACS["src"])),
    ("ARP request", Ether(src=MACS["src"], dst="ff:ff:ff:ff:ff:ff") /
     ARP(op=1, hwsrc=MACS["src"], psrc="10.0.1.5", pdst="10.0.1.1")),
    ("an instance's UDP to 6081 carrying Geneve is plain UDP",
     Ether(**MACS) / IP(src="127.0.1.1", dst="127.0.1.2", flags="DF") /
     UDP(sport=50000, dport=6081) / GENEVE(vni=1001, proto=0x0800, options=[VPC_OPTION]) /
     IP(**V4) / tcp_syn()),
    ("Geneve TCP with the VPC option", IP(src="127.0.1.1", dst="127.0.1.2", flags="DF") /
     UDP(sport=50000, dport=6081) / GENEVE(vni=1001, proto=0x0800, options=[VPC_OPTION]) /
     IP(**V4) / tcp_syn()),
    ("Geneve UDP with the VPC option", IP(src="127.0.1.1", dst="127.0.1.2") /
     UDP(sport=50001, dport=6081) / GENEVE(vni=0xabcdef, proto=0x0800, options=[VPC_OPTION]) /
     IP(**V4) / UDP(sport=5353, dport=53) / b"dns?"),
    ("Geneve IPv6 inner, unknown non-critical option first", IP(src="127.0.1.1", dst="127.0.1.2") /
     UDP(sport=50002, dport=6081) / GENEVE(vni=5, proto=0x86dd, options=[
         GeneveOptions(classid=0x0103, type=5, data=b"abcd"), VPC_OPTION]) /
     IPv6(**V6) / TCP(sport=7, dport=8)),
]


def built(packet):
    """Round-trip through bytes so scapy computes lengths/checksums and dissects as a receiver."""
    return type(packet)(bytes(packet))


@pytest.mark.parametrize("description,packet", WELL_FORMED, ids=[d for d, _ in WELL_FORMED])
def test_parser_agrees_with_scapy(description, packet, parse_packets):
    packet = built(packet)
    (meta,) = parse_packets([bytes(packet)], ip=not isinstance(packet, Ether))
    assert_agrees(packet, meta, description)


def test_parser_agrees_on_randomized_packets(parse_packets):
    rng = random.Random(8926)
    packets = []
    for _ in range(300):
        v4 = rng.random() < 0.5
        ip = IP(src=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                dst=f"192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                ttl=rng.randrange(1, 256), tos=rng.randrange(256), id=rng.randrange(65536),
                flags=rng.choice(["", "DF"])) if v4 else \
            IPv6(src=f"2001:db8::{rng.randrange(65536):x}", dst=f"fd00::{rng.randrange(65536):x}",
                 hlim=rng.randrange(256), tc=rng.randrange(256))
        if rng.random() < 0.5:
            l4 = TCP(sport=rng.randrange(65536), dport=rng.randrange(65536), seq=rng.randrange(2**32),
                     ack=rng.randrange(2**32), flags=rng.randrange(256), window=rng.randrange(65536),
                     options=rng.choice([[], [("MSS", rng.randrange(65536))],
                                         [("WScale", rng.randrange(15)), ("SAckOK", b"")],
                                         [("Timestamp", (rng.randrange(2**32), rng.randrange(2**32)))]]))
        else:
            l4 = UDP(sport=rng.randrange(65536), dport=rng.choice([53, 68, 4789, rng.randrange(7000, 65536)]))
        packets.append(built(Ether(**MACS) / ip / l4 / (b"z" * rng.randrange(40))))
    metas = parse_packets([bytes(p) for p in packets])
    for index, (packet, meta) in enumerate(zip(packets, metas)):
        assert_agrees(packet, meta, f"random packet {index}: {packet.summary()}")


def with_bytes(packet, at, values):
    data = bytearray(bytes(packet))
    data[at:at + len(values)] = values
    return bytes(data)


# Malformed packets: scapy either builds them as asked (a field scapy would never compute) or
# they are cut short; each is checked against scapy's own view of what is wrong before the
# parser's verdict is compared with the name of the problem.
GENEVE_TCP = (IP(src="127.0.1.1", dst="127.0.1.2") / UDP(sport=50000, dport=6081) /
              GENEVE(vni=1001, proto=0x0800, options=[VPC_OPTION]) / IP(**V4) / TCP(sport=1, dport=2))
MALFORMED = [
    ("frame cut inside the Ethernet header", bytes(Ether(**MACS) / IP(**V4))[:12], False,
     "ethernet_truncated"),
    ("IPv4 IHL 4", bytes(IP(**V4, ihl=4) / TCP()), True, "ipv4_bad_ihl"),
    ("IPv4 total length beyond the buffer", bytes(IP(**V4, len=200) / TCP()), True,
     "ipv4_total_length_beyond_buffer"),
    ("IPv4 total length below the header", bytes(IP(**V4, len=12) / TCP()), True,
     "ipv4_total_length_too_short"),
    ("IPv4 header cut at 16 bytes", bytes(IP(**V4) / TCP())[:16], True, "ipv4_truncated"),
    ("IPv4 option of length 1", bytes(IP(**V4, ihl=6, options=b"\x07\x01\x00\x00") / UDP()), True,
     "ipv4_option_bad_length"),
    ("version 7", with_bytes(IP(**V4) / TCP(), 0, b"\x75"), True, "ip_bad_version"),
    ("TCP data offset 3", bytes(IP(**V4) / TCP(dataofs=3)), True, "tcp_bad_data_offset"),
    ("TCP data offset 15 past the segment", bytes(IP(**V4) / TCP(dataofs=15)), True,
     "tcp_bad_data_offset"),
    ("TCP MSS option of length 5", bytes(IP(**V4) / TCP(options=[(2, b"\x05\xb4\x00")])), True,
     "tcp_option_bad_length"),
    ("UDP length 4", bytes(IP(**V4) / UDP(len=4)), True, "udp_bad_length"),
    ("UDP length past the packet", bytes(IP(**V4) / UDP(len=100)), True, "udp_bad_length"),
    ("ICMP cut at 4 bytes", bytes(IP(**V4) / ICMP())[:24], True, "ipv4_total_length_beyond_buffer"),
    ("IPv6 payload length past the buffer", bytes(IPv6(**V6, plen=500) / UDP()), True,
     "ipv6_payload_length_beyond_buffer"),
    ("IPv6 header cut at 30 bytes", bytes(IPv6(**V6) / UDP())[:30], True, "ipv6_truncated"),
    ("IPv6 two fragment headers", bytes(IPv6(**V6) / IPv6ExtHdrFragment() / IPv6ExtHdrFragment() / UDP()),
     True, "ipv6_fragment_header_repeated"),
    ("IPv6 hop-by-hop not first", bytes(IPv6(**V6) / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / UDP()),
     True, "ipv6_hop_by_hop_not_first"),
    ("IPv6 nine extension headers", bytes(IPv6(**V6) / (IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
                                                        IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
                                                        IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
                                                        IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
                                                        IPv6ExtHdrDestOpt()) / UDP()),
     True, "ipv6_extension_chain_too_long"),
    ("ARP with 16-byte protocol addresses", bytes(Ether(**MACS) / ARP(plen=16)), False, "arp_unsupported"),
    ("Geneve version 1", with_bytes(GENEVE_TCP, 28, b"\x44"), True, "geneve_bad_version"),
    ("Geneve carrying Ethernet", bytes(GENEVE_TCP.copy().__class__(bytes(GENEVE_TCP)))[:30] +
     b"\x65\x58" + bytes(GENEVE_TCP)[32:], True, "geneve_unsupported_protocol"),
    ("Geneve unknown critical option",
     bytes(IP(src="127.0.1.1", dst="127.0.1.2") / UDP(sport=50000, dport=6081) /
           GENEVE(vni=1, proto=0x0800, options=[GeneveOptions(classid=0x0102, type=0x85, data=b"abcd")]) /
           IP(**V4) / TCP()), True, "geneve_critical_option_unknown"),
    ("Geneve VPC option with 4 data bytes",
     bytes(IP(src="127.0.1.1", dst="127.0.1.2") / UDP(sport=50000, dport=6081) /
           GENEVE(vni=1, proto=0x0800, options=[GeneveOptions(classid=0xff0c, type=1, data=b"abcd")]) /
           IP(**V4) / TCP()), True, "geneve_vpc_option_bad_length"),
    ("Geneve inner TCP data offset 2",
     bytes(IP(src="127.0.1.1", dst="127.0.1.2") / UDP(sport=50000, dport=6081) /
           GENEVE(vni=1, proto=0x0800, options=[VPC_OPTION]) / IP(**V4) / TCP(dataofs=2)), True,
     "inner_packet_malformed"),
]


@pytest.mark.parametrize("description,data,ip_only,error", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_parser_rejects_malformed(description, data, ip_only, error, parse_packets):
    (meta,) = parse_packets([data], ip=ip_only)
    assert meta["error"] == error, f"{description}: {meta}"
    # Where the layer was reached, every field after the error is zero.
    if error != "inner_packet_malformed" and meta["error"].startswith(("ipv4", "ipv6", "ip_")):
        assert meta["l4_offset"] == 0


def test_scapy_also_sees_the_malformation():
    """Sanity check on the table: scapy's dissection of the malformed TCP/UDP cases is not a
    clean packet (its length checks fail or the layer degrades to raw bytes)."""
    for description, data, ip_only, error in MALFORMED:
        if not error.startswith(("tcp_", "udp_")):
            continue
        packet = IP(data)
        l4 = packet.payload
        if isinstance(l4, TCP):
            assert l4.dataofs * 4 < 20 or l4.dataofs * 4 > len(l4) or \
                any(kind == "MSS" and not isinstance(value, int) for kind, value in l4.options), \
                description  # scapy keeps a malformed MSS as raw bytes instead of a number
        else:
            assert isinstance(l4, UDP) and (l4.len < 8 or l4.len > len(l4)), description
