"""Two openvpc-routers on one machine carry a VPC between two instances (namespaces).

Hosts h1 (underlay 127.0.0.2) and h2 (127.0.0.3) each run openvpc-router with its program
(router_fixtures.two_host_programs): VPC 10.0.0.0/16 (VNI 4242), instance A (ENI 101,
10.0.1.5) on h1 and instance B (ENI 201, 10.0.2.7) on h2, a security group allowing ICMP and
TCP 80 and 5201 from the VPC. The routers create the instance namespaces and move the TAPs
in; the instances configure themselves with dhclient. Then: ping A->B, curl A->B:80 (python
http.server in B), TCP 22 refused by the security group, Geneve with the VPC's VNI on lo, the
counters files, a refused program reload, iperf3 for 3 s (super-frames counted crossing, and
a floor relative to a veth pair measured in the same test), and SIGTERM removing namespaces and
TAPs. Needs root, dhclient, curl, iperf3, tcpdump. Everything is removed by PID and by this
run's unique tag in every outcome; the last test checks nothing is left.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import require_binary, require_root_and_tools
from router_fixtures import (VNI, RouterProcess, dhcp, in_ns, kill_dhclients,
                             kill_namespace_processes, leftovers, run, two_host_programs)

A_IP, B_IP = "10.0.1.5", "10.0.2.7"
HOSTS = [
    {"underlay": "127.0.0.2", "eni": 101, "mac": "02:00:00:00:01:01", "ip": A_IP, "subnet": 11},
    {"underlay": "127.0.0.3", "eni": 201, "mac": "02:00:00:00:02:01", "ip": B_IP, "subnet": 12},
]


# (workers, --underlay-mtu, --tap-io): loopback's 65536 carries super-frames whole; 1500, as a
# NIC's would, makes the sending router cut them to fit (router/underlay_segments.h). TAP I/O
# is io_uring batches by default (io/tap_batch_io.h); "syscalls" is a readv/writev per frame.
@pytest.fixture(scope="module",
                params=[(1, None, None), (2, None, None), (1, 1500, None), (1, None, "syscalls")],
                ids=["1-worker", "2-workers", "1-worker-underlay-mtu-1500",
                     "1-worker-tap-io-syscalls"])
def region(request, build_dir: Path):
    require_root_and_tools("TAPs and namespaces", "dhclient", "curl", "iperf3", "tcpdump", "ping")
    binary = require_binary(build_dir, "src/router/openvpc-router", "openvpc-router")
    tag = f"{os.getpid() % 100000}"
    work = Path(tempfile.mkdtemp(prefix="ovt-rt-"))
    ns_a, ns_b = f"ovt-rt-a-{tag}", f"ovt-rt-b-{tag}"
    workers, underlay_mtu, tap_io = request.param
    extra = ["--underlay-mtu", str(underlay_mtu)] if underlay_mtu else []
    extra += ["--tap-io", tap_io] if tap_io else []
    # Two workers are pinned (--cpus), in the reverse of the allowed CPUs' order, so that
    # worker 0 does not land on the first CPU by chance.
    allowed = sorted(os.sched_getaffinity(0))
    cpus = (allowed[::-1] * 2)[:workers] if workers > 1 else []
    extra += ["--cpus", ",".join(map(str, cpus))] if cpus else []
    programs = two_host_programs(HOSTS, allowed_tcp_ports=(80, 5201))
    routers, helpers = [], []
    state = {"workers": workers, "underlay_mtu": underlay_mtu, "tap_io": tap_io or "auto",
             "cpus": cpus,
             "tag": tag, "work": work,
             "ns_a": ns_a, "ns_b": ns_b, "routers": routers,
             "helpers": helpers, "programs": programs,
             "tap_a": f"ovr{tag}-101", "tap_b": f"ovr{tag}-201"}
    try:
        routers.append(RouterProcess(binary, "h1", "127.0.0.2", programs[0], work, tag,
                                     instances=[("101", ns_a)], workers=workers, extra=extra))
        routers.append(RouterProcess(binary, "h2", "127.0.0.3", programs[1], work, tag,
                                     instances=[("eni-201", ns_b)], workers=workers,
                                     extra=extra))
        for r in routers:
            r.wait_ready()
        for ns, tap in ((ns_a, state["tap_a"]), (ns_b, state["tap_b"])):
            lease = dhcp(ns, tap, work)
            assert lease.returncode == 0, lease.stderr
        yield state
    finally:
        for proc in helpers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
        kill_dhclients(work)
        for ns in (ns_a, ns_b):
            kill_namespace_processes(ns)
        for r in routers:
            r.stop()
        for ns in (ns_a, ns_b):  # only if a router died before removing them
            run("ip", "netns", "del", ns, check=False)
        shutil.rmtree(work, ignore_errors=True)


def counters(region, host):
    return region["routers"][0 if host == "h1" else 1].counters()


def test_instances_got_addresses_by_dhcp(region):
    addr = in_ns(region["ns_a"], "ip", "-o", "-4", "addr", "show", "dev", region["tap_a"]).stdout
    assert f"inet {A_IP}/24" in addr
    link = in_ns(region["ns_b"], "ip", "link", "show", "dev", region["tap_b"]).stdout
    assert "mtu 9001" in link
    assert "default via 10.0.2.1" in in_ns(region["ns_b"], "ip", "route").stdout


def test_ping_across_hosts(region):
    ping = in_ns(region["ns_a"], "ping", "-c", "3", "-i", "0.2", "-W", "3", B_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert "3 received" in ping.stdout


def test_geneve_with_the_vpc_vni_on_the_underlay(region):
    pcap = region["work"] / "lo.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-nn", "-U", "-c", "4", "-w", str(pcap),
                             "udp port 6081 and host 127.0.0.2 and host 127.0.0.3"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    region["helpers"].append(dump)
    time.sleep(1.0)
    in_ns(region["ns_a"], "ping", "-c", "2", "-i", "0.2", "-W", "3", B_IP, check=False)
    try:
        dump.wait(timeout=10)
    except subprocess.TimeoutExpired:
        dump.kill()
    text = run("tcpdump", "-r", str(pcap), "-nn", "-v").stdout
    assert "Geneve" in text and f"vni {hex(VNI)}" in text, text
    assert "127.0.0.2" in text and "127.0.0.3" in text, text


def test_http_allowed_by_the_security_group(region):
    server = subprocess.Popen(["ip", "netns", "exec", region["ns_b"], "/usr/bin/python3", "-m",
                               "http.server", "80", "--bind", B_IP, "--directory",
                               str(region["work"])],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    region["helpers"].append(server)
    (region["work"] / "hello.txt").write_text("hello from B\n")
    deadline, body = time.time() + 15, ""
    while time.time() < deadline:
        curl = in_ns(region["ns_a"], "curl", "-s", "--max-time", "3",
                     f"http://{B_IP}/hello.txt", check=False)
        body = curl.stdout
        if body == "hello from B\n":
            break
        time.sleep(0.3)
    assert body == "hello from B\n"


def test_ssh_port_denied_by_the_security_group(region):
    before = counters(region, "h2")["enis"]["201"]["drops"].get("security_group_ingress_denied", 0)
    curl = in_ns(region["ns_a"], "curl", "-s", "--connect-timeout", "2",
                 f"http://{B_IP}:22/", check=False)
    assert curl.returncode == 28, (curl.returncode, curl.stderr)  # timed out: dropped
    time.sleep(0.5)
    after = counters(region, "h2")["enis"]["201"]["drops"].get("security_group_ingress_denied", 0)
    assert after > before


def test_counters_moved(region):
    time.sleep(0.5)
    h1, h2 = counters(region, "h1"), counters(region, "h2")
    a, b = h1["enis"]["101"], h2["enis"]["201"]
    assert a["rx_packets"] > 0 and a["tx_packets"] > 0, a
    assert b["rx_packets"] > 0 and b["tx_packets"] > 0, b
    assert a["namespace"] == region["ns_a"] and a["tap"] == region["tap_a"]
    assert h1["services"].get("dhcp_ack", 0) >= 1 and h2["services"].get("dhcp_ack", 0) >= 1
    assert h1["pipeline"]["verdicts"]["encapsulate"] > 0
    assert h2["underlay"]["received"] > 0 and h1["underlay"]["sent"] > 0
    # The TAP frames went through io_uring batches, or (--tap-io syscalls) through none.
    for host in (h1, h2):
        submits = host["router"]["tap_io_submits"]
        assert (submits == 0) if region["tap_io"] == "syscalls" else (submits > 0), host["router"]


def test_bad_program_is_refused_and_the_old_one_keeps_running(region):
    r1 = region["routers"][0]
    r1.program_path.write_text("{ not json")
    os.kill(r1.proc.pid, signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline and counters(region, "h1")["program"]["refused"] == 0:
        time.sleep(0.1)
    c = counters(region, "h1")["program"]
    assert c["refused"] >= 1 and "program.json" in c["last_error"], c
    wrong = dict(region["programs"][0], generation=2, host_underlay="127.0.0.9")
    r1.write_program(wrong)
    deadline = time.time() + 10
    while time.time() < deadline and "wrong_host" not in counters(region, "h1")["program"][
            "last_error"]:
        time.sleep(0.1)
    assert "program.wrong_host" in counters(region, "h1")["program"]["last_error"]
    ping = in_ns(region["ns_a"], "ping", "-c", "1", "-W", "3", B_IP, check=False)
    assert ping.returncode == 0, ping.stdout
    r1.write_program(dict(region["programs"][0], generation=3))
    deadline = time.time() + 10
    while time.time() < deadline and counters(region, "h1")["program"]["generation"] != 3:
        time.sleep(0.1)
    assert counters(region, "h1")["program"]["generation"] == 3
    assert counters(region, "h1")["program"]["last_error"] == ""
    assert in_ns(region["ns_a"], "ping", "-c", "1", "-W", "3", B_IP, check=False).returncode == 0


def iperf3_gbits(ns_server, ns_client, address, seconds, helpers):
    server = subprocess.Popen(["ip", "netns", "exec", ns_server, "iperf3", "-s", "-1", "-B",
                               address], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    helpers.append(server)
    time.sleep(0.5)
    client = in_ns(ns_client, "iperf3", "-c", address, "-t", str(seconds), "-J", check=False,
                   timeout=30 + seconds)
    assert client.returncode == 0, client.stdout[-2000:]
    server.wait(timeout=10)
    return json.loads(client.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9


def kernel_path_gbits(region, seconds):
    """The same iperf3 over a veth pair between two namespaces of this run: the kernel's own
    path on this machine, now, as the yardstick (no absolute thresholds on shared machines)."""
    tag = region["tag"]
    ns1, ns2 = f"ovt-rt-k1-{tag}", f"ovt-rt-k2-{tag}"
    try:
        for ns in (ns1, ns2):
            run("ip", "netns", "add", ns)
        run("ip", "link", "add", f"ovk{tag}a", "netns", ns1, "type", "veth", "peer", "name",
            f"ovk{tag}b", "netns", ns2)
        for ns, link, address in ((ns1, f"ovk{tag}a", "10.255.0.1/30"),
                                  (ns2, f"ovk{tag}b", "10.255.0.2/30")):
            in_ns(ns, "ip", "addr", "add", address, "dev", link)
            in_ns(ns, "ip", "link", "set", link, "up")
            in_ns(ns, "ip", "link", "set", "lo", "up")
        return iperf3_gbits(ns2, ns1, "10.255.0.2", seconds, region["helpers"])
    finally:
        for ns in (ns1, ns2):
            kill_namespace_processes(ns)
            run("ip", "netns", "del", ns, check=False)


def test_iperf3_tcp_between_hosts_crosses_as_super_frames(region):
    """TSO: A's TCP super-frames cross the routers and the underlay whole (issue 16: the gso
    counters must move, not only the throughput be above zero). The counters are what proves
    it; the throughput floor, a tenth of the kernel's own veth path measured right after, only
    catches a collapse (measured here: 1 worker 0.48 of veth with TSO, 0.24 with --tso off;
    2 workers 0.25 when super-frames were cut on a handoff between workers)."""
    h1, h2 = region["routers"]
    pcap = region["work"] / "underlay-sizes.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-nn", "-U", "-s", "96", "-c", "500", "-w",
                             str(pcap), "udp port 6081 and src 127.0.0.2 and dst 127.0.0.3"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    region["helpers"].append(dump)
    time.sleep(1.0)
    before = [r.counters() for r in (h1, h2)]
    gbits = iperf3_gbits(region["ns_b"], region["ns_a"], B_IP, 3, region["helpers"])
    try:
        dump.wait(timeout=10)
    except subprocess.TimeoutExpired:
        dump.kill()
    # The outer IPv4 lengths h1 sent to h2 while iperf3 ran.
    sizes = [int(m) for m in re.findall(r"proto UDP \(17\), length (\d+)\)",
                                          run("tcpdump", "-r", str(pcap), "-nn", "-v").stdout)]
    assert len(sizes) > 100, len(sizes)
    time.sleep(0.5)  # counters.json: every 0.2 s
    after = [r.counters() for r in (h1, h2)]
    kernel = kernel_path_gbits(region, 3)
    print(f"\niperf3 A->B across routers, {region['workers']} worker(s) each: {gbits:.2f} "
          f"Gbit/s; veth between two namespaces: {kernel:.2f} Gbit/s ({gbits / kernel:.2f})")

    def moved(i, group, name):
        return after[i][group][name] - before[i][group][name]

    super_frames = moved(0, "router", "gso_frames")
    frames = moved(0, "router", "eni_frames_received")
    assert super_frames > 100 and super_frames * 2 > frames, (super_frames, frames)
    # Each frame from A stands for several segments (rx counts wire packets) ...
    segments_in = after[0]["enis"]["101"]["rx_packets"] - before[0]["enis"]["101"]["rx_packets"]
    assert segments_in > 2 * frames, (segments_in, frames)
    if region["underlay_mtu"]:
        # h1 cut every super-frame to the underlay MTU before it left: h2 received plain
        # segments, one per datagram, each within the MTU (52 bytes of encapsulation included).
        cut = moved(0, "router", "gso_cut_for_underlay")
        assert cut > 100 and cut * 2 > super_frames, (cut, super_frames)
        assert moved(0, "router", "segmentation_offload_dropped") == 0
        datagrams = moved(1, "router", "underlay_datagrams_received")
        segments_out = after[1]["enis"]["201"]["tx_packets"] - \
            before[1]["enis"]["201"]["tx_packets"]
        assert datagrams >= segments_out > 2 * cut, (datagrams, segments_out, cut)
        assert moved(1, "router", "gso_segmented") == 0
        assert 1400 < max(sizes) <= region["underlay_mtu"], max(sizes)
    else:
        # ... and each datagram on the underlay to h2 carried several segments to B whole.
        datagrams = moved(1, "router", "underlay_datagrams_received")
        segments_out = after[1]["enis"]["201"]["tx_packets"] - \
            before[1]["enis"]["201"]["tx_packets"]
        assert segments_out > 2 * datagrams, (segments_out, datagrams)
        assert max(sizes) > 10000, max(sizes)  # whole super-frames on the underlay
    # With two workers a router reads its ENI on worker 0 and the underlay on worker 1, so one
    # of the two routers always hands the flow's super-frames to its other worker (h1 when the
    # flow hashes to worker 1, h2 when it hashes to 0): each crosses whole in a large inbox
    # slot, cut only when that inbox's large slots are all in use, which must stay rare.
    handed_whole = moved(0, "router", "gso_handed_off") + moved(1, "router", "gso_handed_off")
    cut_for_handoff = moved(0, "router", "gso_segmented") + moved(1, "router", "gso_segmented")
    print(f"super-frames handed to another worker whole: {handed_whole}, cut: {cut_for_handoff}")
    if region["workers"] == 1:
        assert handed_whole == 0 and cut_for_handoff == 0, (handed_whole, cut_for_handoff)
    else:
        assert handed_whole > 100 and cut_for_handoff * 10 <= handed_whole, \
            (handed_whole, cut_for_handoff)
    assert gbits >= 0.1 * kernel, (gbits, kernel)


def cpus_allowed(pid):
    """Each thread's Cpus_allowed_list, from /proc."""
    lists = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = (task / "status").read_text()
        lists.append(re.search(r"^Cpus_allowed_list:\s*(\S+)$", status, re.M).group(1))
    return lists


def test_workers_run_on_the_cpus_given(region):
    """--cpus pins worker i to the list's i-th CPU; without it no thread is pinned (unless the
    whole process is allowed only one CPU)."""
    allowed = sorted(os.sched_getaffinity(0))
    for router in region["routers"]:
        lists = cpus_allowed(router.proc.pid)
        pinned = sorted(int(x) for x in lists if re.fullmatch(r"\d+", x))
        if not region["cpus"]:
            assert len(allowed) == 1 or not pinned, lists
            continue
        if len(allowed) > 1:  # every other thread (main, gRPC, flow-log writer) is not pinned
            assert pinned == sorted(region["cpus"]), (lists, region["cpus"])
        placement = ", ".join(f"worker {i} on CPU {c}" for i, c in enumerate(region["cpus"]))
        assert placement in router.log_path.read_text(), placement


def test_sigterm_removes_namespaces_and_taps(region):
    for proc in region["helpers"]:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    kill_dhclients(region["work"])
    for ns in (region["ns_a"], region["ns_b"]):
        kill_namespace_processes(ns)
    for r in region["routers"]:
        assert r.stop() == 0, r.log_path.read_text()[-3000:]
    assert leftovers(region["tag"]) == []
    out = run("pgrep", "-f", f"ovr{region['tag']}-", check=False).stdout.split()
    assert out == []
