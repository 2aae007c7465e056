"""Replay of real conversations through the connection trackers (openvpc-conntrack-replay).

Two network namespaces joined by a veth pair (unique names, deleted in teardown): nginx
(private config in a tmp dir) listens in one, curl and iperf3 (-t 2, rate-capped so the
capture stays small) run from the other, tcpdump captures on the veth with TSO/GSO/GRO off
so the capture holds wire-sized segments. Every capture must replay with 0 drops; the same
capture with one data segment's sequence number moved out of window must give exactly
that drop. Needs root (CAP_NET_ADMIN); run with /usr/bin/python3 -m pytest.
"""
import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import require_binary

SERVER, CLIENT = "10.213.0.1", "10.213.0.2"


def sh(*args, check=True, timeout=30):
    return subprocess.run(list(args), check=check, capture_output=True, text=True,
                          timeout=timeout)


def in_ns(ns, *args):
    return ["ip", "netns", "exec", ns, *args]


def stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def replay_tool(build_dir):
    return require_binary(build_dir, "tools/openvpc-conntrack-replay",
                          "openvpc-conntrack-replay")


NGINX_CONF = """
daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{ listen {ip}:8080; root {d}/www; }}
}}
"""


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    """Runs the conversations once; yields {"http": pcap, "iperf": pcap}."""
    if os.geteuid() != 0:
        pytest.fail("needs root for network namespaces", pytrace=False)
    d = tmp_path_factory.mktemp("conntrack_replay")
    tag = uuid.uuid4().hex[:6]
    srv_ns, cli_ns, srv_if, cli_if = f"cts{tag}", f"ctc{tag}", f"vs{tag}", f"vc{tag}"
    procs = []
    try:
        sh("ip", "netns", "add", srv_ns)
        sh("ip", "netns", "add", cli_ns)
        sh("ip", "link", "add", srv_if, "type", "veth", "peer", "name", cli_if)
        for ns, ifname, ip in ((srv_ns, srv_if, SERVER), (cli_ns, cli_if, CLIENT)):
            sh("ip", "link", "set", ifname, "netns", ns)
            sh(*in_ns(ns, "ip", "addr", "add", f"{ip}/24", "dev", ifname))
            sh(*in_ns(ns, "ip", "link", "set", ifname, "up"))
            sh(*in_ns(ns, "ip", "link", "set", "lo", "up"))
            sh(*in_ns(ns, "ethtool", "-K", ifname, "tso", "off", "gso", "off", "gro", "off"),
               check=False)
        (d / "www").mkdir()
        (d / "www" / "big.bin").write_bytes(os.urandom(2 * 1024 * 1024))
        (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, ip=SERVER))
        nginx = subprocess.Popen(in_ns(srv_ns, "nginx", "-c", str(d / "nginx.conf")))
        procs.append(nginx)
        out = {}
        for name in ("http", "iperf"):
            pcap = d / f"{name}.pcap"
            dump = subprocess.Popen(in_ns(cli_ns, "tcpdump", "-i", cli_if, "-U", "-s", "0",
                                          "-w", str(pcap), "ip or ip6"),
                                    stderr=subprocess.PIPE, text=True)
            procs.append(dump)
            dump.stderr.readline()  # "listening on ..." once the capture runs
            if name == "http":
                for path in ("big.bin", "big.bin", "missing"):
                    sh(*in_ns(cli_ns, "curl", "-s", "-o", "/dev/null", "--max-time", "10",
                              f"http://{SERVER}:8080/{path}"), check=False)
            else:
                server = subprocess.Popen(in_ns(srv_ns, "iperf3", "-s", "-1", "-B", SERVER),
                                          stdout=subprocess.DEVNULL)
                procs.append(server)
                time.sleep(0.5)
                sh(*in_ns(cli_ns, "iperf3", "-c", SERVER, "-t", "2", "-b", "40M"),
                   timeout=20)
                server.wait(timeout=10)
            time.sleep(0.5)
            stop(dump, signal.SIGINT)
            out[name] = pcap
        yield out
    finally:
        for p in procs:
            stop(p)
        sh("ip", "netns", "del", srv_ns, check=False)
        sh("ip", "netns", "del", cli_ns, check=False)


def replay(tool, pcap):
    result = sh(str(tool), str(pcap), timeout=60)
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", ["http", "iperf"])
def test_real_conversation_replays_without_drops(replay_tool, captures, name):
    counts = replay(replay_tool, captures[name])
    assert counts["packets"] > 20, counts
    assert counts["dropped"] == 0, counts
    assert counts["accepted"] + counts["not_ip"] == counts["packets"], counts


def _seq_after(a, b):
    return 0 < ((a - b) % (1 << 32)) < (1 << 31)


def _victim_without_consequences(packets, data, IP, TCP):
    """A server data segment whose loss the tracker can absorb: the server sends another
    segment on the same connection before the client acknowledges past the victim's start.
    Otherwise the client's real ACK would cover bytes the tracker never saw (it dropped the
    victim) and be dropped too, which is right but not the single drop this test wants."""
    def conn(p):
        return (p[TCP].sport, p[TCP].dport) if p[IP].src == SERVER else (p[TCP].dport, p[TCP].sport)
    candidates = []
    for i in data:
        v = packets[i]
        for p in packets[i + 1:]:
            if TCP not in p or conn(p) != conn(v):
                continue
            if p[IP].src == SERVER and len(p[TCP].payload) > 0:
                candidates.append(i)
                break
            if p[IP].src == CLIENT and _seq_after(p[TCP].ack, v[TCP].seq):
                break
    assert candidates, "no server segment followed by another before its ACK"
    return candidates[len(candidates) // 2]


def test_segment_moved_out_of_window_is_exactly_the_drop(replay_tool, captures, tmp_path):
    from scapy.all import IP, TCP, rdpcap, wrpcap  # noqa: E402 (slow import)
    packets = rdpcap(str(captures["http"]))
    data = [i for i, p in enumerate(packets)
            if TCP in p and p[IP].src == SERVER and len(p[TCP].payload) > 0]
    assert len(data) > 10
    victim = _victim_without_consequences(packets, data, IP, TCP)
    packets[victim][TCP].seq = (packets[victim][TCP].seq + (1 << 30)) % (1 << 32)
    del packets[victim][TCP].chksum
    moved = tmp_path / "moved.pcap"
    wrpcap(str(moved), packets)
    counts = replay(replay_tool, moved)
    assert counts["dropped"] == 1, counts
    assert counts["drops"] == {"tcp_seq_out_of_window": 1}, counts
    assert counts["dropped_packets"] == [victim], counts
