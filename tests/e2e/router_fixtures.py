"""Helpers for openvpc-router end-to-end tests: programs, router processes, instances.

A test builds per-host programs with two_host_programs(), starts one RouterProcess per host
(underlay addresses on 127.0.0.0/8 only), brings instances up by DHCP inside the namespaces
the routers create, and tears everything down by PID and by its own unique names, whatever
happened. leftovers(tag) lists anything still carrying the tag (namespaces, links, processes).
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

VNI = 4242
ROUTER_MAC = "02:00:00:00:00:01"

DHCLIENT_SCRIPT = """#!/bin/sh
# Applies a lease without touching the host's resolv.conf or hostname.
case "$reason" in
  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT)
    ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
    [ -n "$new_interface_mtu" ] && ip link set dev "$interface" mtu "$new_interface_mtu"
    for r in $new_routers; do ip route add default via "$r" dev "$interface"; break; done ;;
esac
exit 0
"""


def run(*args, check=True, timeout=30, **kwargs):
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout,
                          **kwargs)


def in_ns(ns, *args, **kwargs):
    return run("ip", "netns", "exec", ns, *args, **kwargs)


def _rule(direction, protocol, ports=(0, 65535), peer="10.0.0.0/16"):
    return {"direction": direction, "protocol": protocol, "ports": list(ports),
            "icmp_type": -1, "icmp_code": -1, "peer": peer, "referenced_group": 0}


def two_host_programs(hosts, allowed_tcp_ports=(80,), generation=1, allowed_udp_ports=()):
    """hosts: [{"underlay": "127.0.0.2", "eni": 101, "mac": .., "ip": .., "subnet": 11}, ..].
    One VPC 10.0.0.0/16 (VNI 4242) with subnets 10.0.1.0/24 (11) and 10.0.2.0/24 (12); one
    security group allowing ICMP and the given TCP and UDP ports from the VPC, all egress.
    Returns one program per host, each with only that host's ENI and every mapping."""
    rules = [_rule("ingress", 1)] + [_rule("ingress", 6, (p, p)) for p in allowed_tcp_ports]
    rules += [_rule("ingress", 17, (p, p)) for p in allowed_udp_ports]
    rules.append(_rule("egress", -1, peer="0.0.0.0/0"))
    allow_all = [{"rule_number": 100, "direction": d, "protocol": -1, "ports": [0, 65535],
                  "icmp_type": -1, "icmp_code": -1, "cidr": "0.0.0.0/0", "action": "allow"}
                 for d in ("ingress", "egress")]
    common = {
        "generation": generation,
        "router_mac": ROUTER_MAC,
        "vpcs": [{"id": VNI, "name": "vpc-e2e", "cidrs": ["10.0.0.0/16"]}],
        "subnets": [
            {"id": 11, "name": "a", "vpc": VNI, "cidr": "10.0.1.0/24", "network_acl": 31,
             "route_table": 21},
            {"id": 12, "name": "b", "vpc": VNI, "cidr": "10.0.2.0/24", "network_acl": 31,
             "route_table": 21}],
        "route_tables": [{"id": 21, "name": "main", "vpc": VNI, "routes": [
            {"destination": "10.0.0.0/16", "target": "local", "target_id": 0}]}],
        "network_acls": [{"id": 31, "name": "default", "vpc": VNI, "entries": allow_all}],
        "security_groups": [{"id": 41, "name": "web", "vpc": VNI, "rules": rules,
                             "member_addresses": [h["ip"] for h in hosts]}],
        "mappings": [{"vpc": VNI, "address": h["ip"], "underlay": h["underlay"], "eni": h["eni"],
                      "source_dest_check": True} for h in hosts],
    }
    programs = []
    for h in hosts:
        program = dict(common)
        program["host_underlay"] = h["underlay"]
        program["enis"] = [{"id": h["eni"], "name": f"eni-{h['eni']}", "subnet": h["subnet"],
                            "mac": h["mac"], "private_addresses": [h["ip"]],
                            "security_groups": [41], "source_dest_check": True}]
        programs.append(program)
    return programs


class RouterProcess:
    """One openvpc-router; its counters come from STATE_DIR/counters.json."""

    def __init__(self, binary, host_id, underlay, program, work: Path, tag, instances=(),
                 workers=1, extra=()):
        self.host_id, self.work = host_id, work
        self.program_path = work / f"{host_id}.json"
        self.state_dir = work / f"state-{host_id}"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.write_program(program)
        self.log_path = work / f"{host_id}.log"
        args = [str(binary), "--host-id", host_id, "--underlay-ip", underlay, "--program",
                str(self.program_path), "--state-dir", str(self.state_dir), "--tap-prefix",
                f"ovr{tag}-", "--workers", str(workers), "--counters-interval", "0.2",
                "--log-level", "debug"]
        for eni, ns in instances:
            args += ["--instance", f"{eni}={ns}"]
        args += list(extra)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def write_program(self, program):
        tmp = self.program_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(program, indent=1))
        os.replace(tmp, self.program_path)

    def counters(self):
        try:
            return json.loads((self.state_dir / "counters.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.host_id} exited {self.proc.returncode}: "
                                     + self.log_path.read_text())
            c = self.counters()
            if c and c["program"]["applied"] >= 1:
                return c
            time.sleep(0.1)
        raise AssertionError(f"{self.host_id} not ready: " + self.log_path.read_text())

    def stop(self, timeout=15):
        """SIGTERM; returns the exit status (kills after timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()
        return self.proc.returncode


def dhcp(ns, interface, work: Path, timeout=60):
    script = work / "dhclient-script"
    script.write_text(DHCLIENT_SCRIPT)
    script.chmod(0o755)
    stem = f"{ns}-{interface}"
    return in_ns(ns, "dhclient", "-1", "-v", "-sf", str(script), "-lf",
                 str(work / f"{stem}.leases"), "-pf", str(work / f"{stem}.pid"), interface,
                 check=False, timeout=timeout)


def kill_dhclients(work: Path):
    for pidfile in work.glob("*.pid"):
        try:
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        except (ValueError, ProcessLookupError, PermissionError):
            pass


def namespace_pids(ns):
    out = run("ip", "netns", "pids", ns, check=False).stdout
    return [int(p) for p in out.split()]


def kill_namespace_processes(ns):
    for pid in namespace_pids(ns):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def leftovers(tag):
    """Namespaces and links still carrying the tag; empty when all is clean."""
    found = [n.split()[0] for n in run("ip", "netns", "list").stdout.splitlines()
             if tag in n]
    found += [l for l in run("ip", "-o", "link", "show").stdout.splitlines()
              if f"ovr{tag}-" in l]
    return found


def start_two_hosts(binary, hosts, programs, work: Path, tag, namespaces, routers, workers=1,
                    extra=((), ())):
    """Starts one RouterProcess per host (hosts as for two_host_programs) with the instance of
    each in namespaces[i] and the router flags extra[i], appends them to `routers` (so the
    caller's cleanup finds them even when this fails half-way), waits until both applied their
    program and brings both instances up by DHCP. Returns the TAP names, one per host."""
    taps = []
    for i, (h, ns) in enumerate(zip(hosts, namespaces)):
        routers.append(RouterProcess(binary, f"h{i + 1}", h["underlay"], programs[i], work, tag,
                                     instances=[(str(h["eni"]), ns)], workers=workers,
                                     extra=extra[i]))
        taps.append(f"ovr{tag}-{h['eni']}")
    for r in routers:
        r.wait_ready()
    for ns, tap in zip(namespaces, taps):
        lease = dhcp(ns, tap, work)
        assert lease.returncode == 0, lease.stderr
    return taps


def stop_two_hosts(routers, namespaces, work: Path, helpers=()):
    """Undoes start_two_hosts whatever happened: helper processes, dhclients, everything in
    the namespaces, the routers (by PID), namespaces a dead router left behind."""
    for proc in helpers:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    kill_dhclients(work)
    for ns in namespaces:
        kill_namespace_processes(ns)
    for r in routers:
        r.stop()
    for ns in namespaces:
        run("ip", "netns", "del", ns, check=False)


def reassembled_datagrams(ns):
    """The namespace's IP ReasmOKs counter (/proc/net/snmp): datagrams its kernel reassembled."""
    lines = [l.split() for l in in_ns(ns, "cat", "/proc/net/snmp").stdout.splitlines()
             if l.startswith("Ip:")]
    return int(lines[1][lines[0].index("ReasmOKs")])
