"""A region end to end: instances launched through the API come up on their hosts.

openvpc-controller (SQLite in a tmp data dir, the mapping service on a free port, hosts
h1=127.0.0.2 and h2=127.0.0.3) and two openvpc-routers subscribed to it with --controller.
With the stock `aws ec2` CLI: a VPC 10.0.0.0/16, subnets 10.0.1.0/24 and 10.0.2.0/24, a
security group allowing ICMP and TCP 80 from the VPC, and one instance placed on each host.
The routers create the instances' namespaces (named after the instance ids) and move the TAPs
in; the instances take their addresses by DHCP and ping each other across the hosts.
Terminating the instances removes the namespaces; SIGTERM stops everything. Needs root and
dhclient. Everything is stopped by PID and removed by name in every outcome.
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from api_fixtures import wait_until
from region_fixtures import RegionUnderTest, namespaces, pings, tap_in
from router_fixtures import in_ns, kill_dhclients, kill_namespace_processes, run

A_IP, B_IP = "10.0.1.5", "10.0.2.7"
HOSTS = {"h1": "127.0.0.2", "h2": "127.0.0.3"}
ICMP_FROM_VPC = "IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=10.0.0.0/16}]"


@pytest.fixture(scope="module")
def region(build_dir: Path):
    region = RegionUnderTest(build_dir, HOSTS, name="basic")
    region.by_host = {}
    try:
        yield region
    finally:
        region.exit_codes = region.close()


def test_instances_come_up_on_their_hosts(region):
    vpc, subnets = region.create_vpc()
    region.subnets = subnets
    region.group = region.create_group(
        vpc, "web", ICMP_FROM_VPC,
        "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=10.0.0.0/16}]")
    for host, subnet, ip in (("h1", subnets[0], A_IP), ("h2", subnets[1], B_IP)):
        region.by_host[host] = region.launch(host, subnet, ip, [region.group])
    for ns in region.by_host.values():
        region.up(ns)
    a, b = region.by_host["h1"], region.by_host["h2"]
    assert f"inet {A_IP}/24" in in_ns(a, "ip", "-o", "-4", "addr").stdout
    ping = in_ns(a, "ping", "-c", "3", "-i", "0.2", "-W", "3", B_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    ping = in_ns(b, "ping", "-c", "2", "-i", "0.2", "-W", "3", A_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr


NGINX_CONF = """
worker_processes 1; daemon on; pid {work}/nginx.pid; error_log {work}/nginx-error.log;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {work}/nginx-body;
  server {{ listen 80; location / {{ return 200 "hello from web\\n"; }} }} }}
"""

UDHCPC_SCRIPT = """#!/bin/sh
# busybox udhcpc: apply the lease without touching the host's resolv.conf.
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set dev "$interface" up ;;
  bound|renew)
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
    for r in $router; do ip route add default via "$r" dev "$interface"; break; done
    echo "$ip $mask $router $dns $domain $mtu" > "$LEASE_FILE" ;;
esac
exit 0
"""


def test_nginx_iperf3_and_the_geneve_underlay(region):
    a, b = region.by_host["h1"], region.by_host["h2"]
    work = region.work
    (work / "nginx.conf").write_text(NGINX_CONF.format(work=work))
    in_ns(b, "nginx", "-c", str(work / "nginx.conf"))
    pid_file = work / "nginx.pid"  # written by the daemonised master, after nginx returns
    assert wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), 10)
    region.nginx_pid = int(pid_file.read_text())
    pcap = work / "underlay.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-nn", "-U", "--immediate-mode", "-w", str(pcap),
                             f"udp port 6081 and host {HOSTS['h1']} and host {HOSTS['h2']}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on" in dump.stderr.readline()  # capturing from here on
        curl = in_ns(a, "curl", "-s", "--max-time", "5", f"http://{B_IP}/", check=False)
        assert curl.stdout == "hello from web\n", (curl.returncode, curl.stderr)
        time.sleep(0.5)
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=10)
    finally:
        if dump.poll() is None:
            dump.kill()
            dump.wait(timeout=5)
    tshark = run("tshark", "-r", str(pcap), "-d", "udp.port==6081,geneve", "-T", "fields",
                 "-e", "geneve.vni", "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.dstport",
                 timeout=60)
    decoded = tshark.stdout + tshark.stderr + f" ({pcap.stat().st_size} bytes)"
    rows = [line.split("\t") for line in tshark.stdout.splitlines() if line]
    # Outer then inner addresses: Geneve between the hosts carrying the instances' TCP.
    assert any(r[1] == f"{HOSTS['h1']},{A_IP}" and r[2] == f"{HOSTS['h2']},{B_IP}"
               and r[3] == "80" for r in rows), decoded
    assert len({r[0] for r in rows}) == 1 and rows[0][0] != "", decoded  # one VPC, one VNI

    c = region.controller
    c.aws_ok("authorize-security-group-ingress", "--group-id", region.group, "--ip-permissions",
             "IpProtocol=tcp,FromPort=5201,ToPort=5201,IpRanges=[{CidrIp=10.0.0.0/16}]",
             "IpProtocol=udp,FromPort=5201,ToPort=5201,IpRanges=[{CidrIp=10.0.0.0/16}]")
    time.sleep(1.0)
    server = subprocess.Popen(["ip", "netns", "exec", b, "iperf3", "-s", "-1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        out = in_ns(a, "iperf3", "-c", B_IP, "-t", "5", "-J", "--connect-timeout", "3000",
                    timeout=30, check=False)
        assert out.returncode == 0, out.stderr
        tcp = json.loads(out.stdout)["end"]["sum_received"]["bits_per_second"]
        print(f"iperf3 TCP 5 s across hosts: {tcp / 1e9:.2f} Gbit/s")
        assert tcp > 0
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)
    server = subprocess.Popen(["ip", "netns", "exec", b, "iperf3", "-s", "-1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        out = in_ns(a, "iperf3", "-c", B_IP, "-u", "-b", "50M", "-t", "3", "-J",
                    "--connect-timeout", "3000", timeout=30, check=False)
        assert out.returncode == 0, out.stderr
        udp = json.loads(out.stdout)["end"]["sum"]
        print(f"iperf3 UDP 50 Mbit/s 3 s: {udp['packets']} packets, {udp['lost_percent']:.2f}% lost")
        assert udp["packets"] > 0 and udp["lost_percent"] < 50, udp
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)


def test_busybox_udhcpc_gets_a_lease(region):
    ns = region.launch("h2", region.subnets[0], "10.0.1.9", [region.group])
    interface = tap_in(ns, region.tag)
    script = region.work / "udhcpc-script"
    script.write_text(UDHCPC_SCRIPT)
    script.chmod(0o755)
    lease = region.work / "udhcpc.lease"
    out = run("ip", "netns", "exec", ns, "env", f"LEASE_FILE={lease}", "busybox", "udhcpc",
              "-i", interface, "-n", "-q", "-f", "-t", "5", "-T", "2", "-s", str(script),
              check=False, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    ip, mask, router, dns, domain, mtu = lease.read_text().split()
    assert (ip, mask, router, dns, mtu) == ("10.0.1.9", "24", "10.0.1.1",
                                            "10.0.0.2", "9001"), lease.read_text()
    assert pings(ns, B_IP, wait=2)
    kill_namespace_processes(ns)
    region.controller.aws_ok("terminate-instances", "--instance-ids", ns)
    assert wait_until(lambda: ns not in namespaces(), 30)


def test_revoking_icmp_stops_ping_and_authorizing_restores_it(region):
    c, a = region.controller, region.by_host["h1"]
    c.aws_ok("revoke-security-group-ingress", "--group-id", region.group, "--ip-permissions",
             ICMP_FROM_VPC)
    assert wait_until(lambda: not pings(a, B_IP), 20, 0.2)
    c.aws_ok("authorize-security-group-ingress", "--group-id", region.group,
             "--ip-permissions", ICMP_FROM_VPC)
    assert wait_until(lambda: pings(a, B_IP), 20, 0.2)


def test_terminated_instances_lose_their_namespaces(region):
    instances = list(region.by_host.values())
    if getattr(region, "nginx_pid", None):
        os.kill(region.nginx_pid, signal.SIGTERM)
    assert len(instances) == 2
    kill_dhclients(region.work)
    for ns in instances:
        kill_namespace_processes(ns)
    region.controller.aws_ok("terminate-instances", "--instance-ids", *instances)
    assert wait_until(lambda: not (set(instances) & namespaces()), 30), namespaces()


def test_sigterm_leaves_nothing_behind(region):
    codes = [r.stop() for r in region.routers.values()]
    assert codes == [0, 0], codes
    region.controller.kill()
    links = run("ip", "-o", "link", "show").stdout.splitlines()
    assert [link for link in links if f": {region.tag}" in link] == []
    assert not (set(region.by_host.values()) & namespaces())
