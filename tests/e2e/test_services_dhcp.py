"""The router's local services answer a real instance: dhclient, ping and dig in a namespace.

openvpc-services-responder (tools/responder_main.cc) owns one ENI's TAP and
answers it through LocalServices. The test moves the TAP into a fresh namespace (the
instance), runs ISC dhclient with a script of its own (so the host's /etc/resolv.conf and
hostname are never touched) and checks the address, default route and MTU it configured and
the options it received; then ping base+1 and dig @base+2 for a private name and a PTR.
Namespace, dhclient and responder are removed by PID/name in every outcome. Needs root and
the Debian packages isc-dhcp-client, dnsutils, iputils-ping (scripts/install-deps).
"""
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import require_binary, require_root_and_tools

ENI_MAC = "02:00:5e:00:00:05"
ENI_IP = "10.0.1.5"
ROUTER_IP = "10.0.1.1"
RESOLVER_IP = "10.0.0.2"
OTHER_IP = "10.0.2.9"
REGION = "eu-west-1"

DHCLIENT_SCRIPT = """#!/bin/sh
# Applies a lease the way dhclient-script would, without touching resolv.conf or hostname.
case "$reason" in
  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT)
    ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
    [ -n "$new_interface_mtu" ] && ip link set dev "$interface" mtu "$new_interface_mtu"
    for r in $new_routers; do ip route add default via "$r" dev "$interface"; break; done
    env | sort > "{dump}" ;;
esac
exit 0
"""

DHCLIENT_CONF = """request subnet-mask, broadcast-address, routers, domain-name,
        domain-name-servers, interface-mtu, ntp-servers;
"""


def run(*args, check=True, timeout=30):
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout)


def in_ns(ns, *args, **kwargs):
    return run("ip", "netns", "exec", ns, *args, **kwargs)


@pytest.fixture
def instance(build_dir: Path):
    require_root_and_tools("a TAP and a namespace", "dhclient", "dig", "ping")
    responder = require_binary(build_dir, "tools/openvpc-services-responder",
                               "openvpc-services-responder")
    tag = f"{os.getpid() % 100000}"
    tap, ns = f"ovt-svc{tag}", f"ovt-svc-{tag}"
    work = Path(tempfile.mkdtemp(prefix="ovt-svc-"))
    proc = subprocess.Popen(
        [str(responder), "--tap", tap, "--mac", ENI_MAC, "--ip", ENI_IP,
         "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--region", REGION,
         "--vpc-address", OTHER_IP],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == f"ready {tap}", proc.stderr.read()
        run("ip", "netns", "add", ns)
        run("ip", "link", "set", tap, "netns", ns)
        in_ns(ns, "ip", "link", "set", "lo", "up")
        yield {"ns": ns, "tap": tap, "work": work, "responder": proc}
    finally:
        pidfile = work / "dhclient.pid"
        if pidfile.exists():
            try:
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
            except (ValueError, ProcessLookupError):
                pass
        run("ip", "netns", "del", ns, check=False)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


def lease_env(dump: Path) -> dict:
    env = {}
    for line in dump.read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return env


def test_dhcp_ping_and_dns_through_local_services(instance):
    ns, tap, work = instance["ns"], instance["tap"], instance["work"]
    script, dump = work / "dhclient-script", work / "lease.env"
    script.write_text(DHCLIENT_SCRIPT.replace("{dump}", str(dump)))
    script.chmod(0o755)
    (work / "dhclient.conf").write_text(DHCLIENT_CONF)
    result = in_ns(ns, "dhclient", "-1", "-v", "-sf", str(script), "-cf",
                   str(work / "dhclient.conf"), "-lf", str(work / "dhclient.leases"),
                   "-pf", str(work / "dhclient.pid"), tap, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"DHCPACK of {ENI_IP} from {ROUTER_IP}" in result.stderr

    env = lease_env(dump)
    assert env["new_ip_address"] == ENI_IP
    assert env["new_subnet_mask"] == "255.255.255.0"
    assert env["new_routers"] == ROUTER_IP
    assert env["new_domain_name_servers"] == RESOLVER_IP
    assert env["new_domain_name"] == f"{REGION}.compute.internal"
    assert env["new_interface_mtu"] == "9001"
    assert env["new_dhcp_server_identifier"] == ROUTER_IP
    assert env["new_dhcp_lease_time"] == "3600"

    addr = in_ns(ns, "ip", "-o", "-4", "addr", "show", "dev", tap).stdout
    assert f"inet {ENI_IP}/24" in addr
    assert "mtu 9001" in in_ns(ns, "ip", "link", "show", "dev", tap).stdout
    assert f"default via {ROUTER_IP} dev {tap}" in in_ns(ns, "ip", "route").stdout

    ping = in_ns(ns, "ping", "-c", "1", "-W", "5", ROUTER_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert "1 received" in ping.stdout

    name = f"ip-10-0-2-9.{REGION}.compute.internal"
    dig = in_ns(ns, "dig", "+short", "+time=3", "+tries=1", f"@{RESOLVER_IP}", name)
    assert dig.stdout.strip() == OTHER_IP
    ptr = in_ns(ns, "dig", "+short", "+time=3", "+tries=1", "@169.254.169.253", "-x", OTHER_IP)
    assert ptr.stdout.strip() == name + "."
    nx = in_ns(ns, "dig", "+time=3", "+tries=1", f"@{RESOLVER_IP}", "example.com")
    assert "status: NXDOMAIN" in nx.stdout

    responder = instance["responder"]
    responder.send_signal(signal.SIGTERM)
    counters = dict(line.split() for line in responder.communicate(timeout=10)[0].splitlines())
    assert counters["dhcp_offer"] == "1" and counters["dhcp_ack"] == "1"
    assert int(counters["icmp_echo_replied"]) == 1
    assert int(counters["dns_answered"]) == 2 and int(counters["dns_nxdomain"]) == 1
    assert int(counters.get("arp_replied", "0")) >= 1
