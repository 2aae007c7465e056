"""Looking inside a running region: /metrics on every daemon, `openvpc trace`, `openvpc capture`.

openvpc-controller with hosts h1=127.0.3.2 and h2=127.0.3.3 and two openvpc-routers whose
admin endpoints listen on their underlay addresses, port 9180 (the default). A VPC with one
subnet, a security group allowing ICMP and TCP 80 from the VPC, instance A on h1 and B on h2.
- /metrics of both routers and of the controller parse with a strict parser
  (prometheus_text.py), and counters move: A's and B's per-ENI packet counters after pings, the
  controller's request counter after `aws ec2` calls, the hosts' program versions.
- `openvpc trace` (the CLI finds the ENI's router through the controller) of TCP 22 arriving
  for B names the security-group stage and drops; TCP 80 is delivered; A's TCP 80 to B is
  encapsulated toward h2.
- `openvpc capture --count 4` on A during a ping writes a pcap that tshark decodes as ICMP
  echo request and reply.
Needs root, dhclient, tshark. Everything is stopped by PID and removed in every outcome.
"""
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

import prometheus_text
from api_fixtures import wait_until
from conftest import require_binary
from region_fixtures import RegionUnderTest
from router_fixtures import in_ns, run

A_IP, B_IP = "10.0.1.10", "10.0.1.11"
HOSTS = {"h1": "127.0.3.2", "h2": "127.0.3.3"}
ADMIN_PORT = 9180


def scrape(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return prometheus_text.parse(response.read().decode())


def router_metrics(host):
    return scrape(f"http://{HOSTS[host]}:{ADMIN_PORT}/metrics")


@pytest.fixture(scope="module")
def region(build_dir: Path):
    region = RegionUnderTest(build_dir, HOSTS, name="obs")
    try:
        region.cli = require_binary(build_dir, "src/cli/openvpc", "openvpc")
        vpc, subnets = region.create_vpc(subnets=("10.0.1.0/24",))
        group = region.create_group(
            vpc, "web", "IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=10.0.0.0/16}]",
            "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=10.0.0.0/16}]")
        region.a = region.launch("h1", subnets[0], A_IP, [group])
        region.b = region.launch("h2", subnets[0], B_IP, [group])
        region.up(region.a)
        region.up(region.b)
        region.eni_a, region.eni_b = region.eni_of(region.a), region.eni_of(region.b)
        yield region
    finally:
        region.close()


def openvpc(region, *args, timeout=30):
    c = region.controller
    return run(str(region.cli), "--endpoint", c.endpoint, "--credentials",
               os.path.join(c.data_dir, "admin-credentials"), *args, check=False,
               timeout=timeout)


def ping(ns, address, count=3):
    result = in_ns(ns, "ping", "-c", str(count), "-i", "0.2", "-W", "3", address, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_router_metrics_parse_and_per_eni_counters_move(region):
    before = {host: router_metrics(host) for host in HOSTS}
    for host, eni in (("h1", region.eni_a), ("h2", region.eni_b)):
        page = before[host]
        assert prometheus_text.value(page, "openvpc_router_info", host_id=host,
                                     underlay=HOSTS[host]) == 1
        assert prometheus_text.value(page, "openvpc_eni_rx_packets_total", eni=eni) is not None
        assert prometheus_text.value(page, "openvpc_router_programs_applied_total") >= 1
        assert page["openvpc_eni_drops_total"]["type"] == "counter"
        assert prometheus_text.value(page, "openvpc_eni_conntrack_allowance_available",
                                     eni=eni) > 0
    ping(region.a, B_IP, count=3)

    def moved(host, eni, name, by):
        old = prometheus_text.value(before[host], name, eni=eni)
        return prometheus_text.value(router_metrics(host), name, eni=eni) >= old + by

    # Snapshots are published every 200 ms: wait for them rather than sleep a guess.
    for host, eni in (("h1", region.eni_a), ("h2", region.eni_b)):
        for name in ("openvpc_eni_rx_packets_total", "openvpc_eni_tx_packets_total",
                     "openvpc_eni_rx_bytes_total", "openvpc_eni_tx_bytes_total"):
            by = 3 if name.endswith("packets_total") else 3 * 84
            assert wait_until(lambda: moved(host, eni, name, by), 5), (host, name)
    after = router_metrics("h2")
    assert prometheus_text.value(after, "openvpc_eni_tracked_connections", eni=region.eni_b) >= 1
    assert (prometheus_text.value(after, "openvpc_underlay_received_total")
            > prometheus_text.value(before["h2"], "openvpc_underlay_received_total"))


def test_controller_metrics_parse_and_request_counters_move(region):
    c = region.controller
    url = c.endpoint + "/metrics"
    page = scrape(url)
    for host in HOSTS:
        assert prometheus_text.value(page, "openvpc_host_connected", host_id=host) == 1
        acked = prometheus_text.value(page, "openvpc_host_acked_program_version", host_id=host)
        assert acked >= 1
    assert prometheus_text.value(page, "openvpc_controller_resources", kind="instances") == 2
    name = "openvpc_controller_api_requests_total"
    before = prometheus_text.value(page, name, action="DescribeVpcs", code="200") or 0
    errors = prometheus_text.value(page, name, action="DescribeVpcs", code="400") or 0
    c.aws_ok("describe-vpcs")
    c.aws_ok("describe-vpcs")
    assert c.aws("describe-vpcs", "--vpc-ids", "vpc-nonsense")[0] != 0
    page = scrape(url)
    assert prometheus_text.value(page, name, action="DescribeVpcs", code="200") == before + 2
    assert prometheus_text.value(page, name, action="DescribeVpcs", code="400") == errors + 1
    count = prometheus_text.value(page, "openvpc_controller_api_request_duration_seconds_count",
                                  action="DescribeVpcs")
    assert count == before + errors + 3


def test_trace_names_the_security_group_stage(region):
    refused = openvpc(region, "trace", "--eni", region.eni_b, "--direction", "ingress",
                      "--proto", "tcp", "--src", A_IP, "--dport", "22")
    assert refused.returncode == 0, refused.stderr
    assert "sg-ingress" in refused.stdout and "denied" in refused.stdout, refused.stdout
    assert "verdict: drop (security_group_ingress_denied)" in refused.stdout, refused.stdout

    allowed = openvpc(region, "trace", "--eni", region.eni_b, "--direction", "ingress",
                      "--proto", "tcp", "--src", A_IP, "--dport", "80")
    assert allowed.returncode == 0, allowed.stderr
    assert "verdict: deliver" in allowed.stdout, allowed.stdout

    out = openvpc(region, "trace", "--eni", region.eni_a, "--proto", "tcp", "--dst", B_IP,
                  "--dport", "80")
    assert out.returncode == 0, out.stderr
    assert "verdict: encapsulate out underlay" in out.stdout, out.stdout

    unknown = openvpc(region, "trace", "--eni", region.eni_a, "--router",
                      f"{HOSTS['h2']}:{ADMIN_PORT}", "--proto", "tcp", "--dst", B_IP)
    assert unknown.returncode != 0 and "not on this host" in unknown.stderr, unknown.stderr


def test_capture_writes_a_pcap_tshark_decodes(region, tmp_path):
    if shutil.which("tshark") is None:
        pytest.fail("tshark is missing: run scripts/install-deps", pytrace=False)
    pcap = tmp_path / "a.pcap"
    sessions = prometheus_text.value(router_metrics("h1"), "openvpc_capture_sessions_total")
    c = region.controller
    capture = subprocess.Popen(
        [str(region.cli), "--endpoint", c.endpoint, "--credentials",
         os.path.join(c.data_dir, "admin-credentials"), "capture", "--eni", region.eni_a,
         "-w", str(pcap), "--count", "4", "--seconds", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: prometheus_text.value(
            router_metrics("h1"), "openvpc_capture_sessions_total") > sessions, 10)
        ping(region.a, B_IP, count=4)
        _, stderr = capture.communicate(timeout=30)
        assert capture.returncode == 0, stderr
    finally:
        if capture.poll() is None:
            capture.kill()
            capture.wait()
    decoded = run("tshark", "-r", str(pcap), "-T", "fields", "-e", "icmp.type", "-e", "ip.src",
                  "-e", "ip.dst")
    lines = [line.split("\t") for line in decoded.stdout.splitlines()]
    assert len(lines) == 4, decoded.stdout
    assert ["8", A_IP, B_IP] in lines and ["0", B_IP, A_IP] in lines, decoded.stdout
    busy = prometheus_text.value(router_metrics("h1"), "openvpc_capture_dropped_total")
    assert busy == 0
