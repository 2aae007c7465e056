"""The outside world for edge tests: an `internet` namespace and openvpc-edge nodes.

Internet is a network namespace of plain Linux that stands for the world: a server address
(203.0.113.10, RFC 5737) on its loopback, and one link per edge node — the edge's outside TAP,
which the edge creates and moves in — with a /30 each (192.0.2.4i+1 here, 192.0.2.4i+2 the
edge). The region's public pool (198.51.100.0/24) is routed to the edges through a nexthop
group, the way an upstream router would see the edges' announcements: when an edge dies its
TAP goes, the kernel drops that nexthop, and the other edges carry everything.

EdgeUnderTest runs one openvpc-edge subscribed to the region's controller; kill() and start()
let tests take a node away and bring it back. Everything is stopped by PID and removed by name.
"""
import signal
import subprocess
from pathlib import Path

from api_fixtures import wait_until
from conftest import require_binary
from region_fixtures import namespaces
from router_fixtures import in_ns, run

PUBLIC_POOL = "198.51.100.0/24"
SERVER_IP = "203.0.113.10"
NEXTHOP_GROUP = 100


def link_address(index, side):
    """192.0.2.(4*index + 1) on the internet side, +2 on the edge's."""
    return f"192.0.2.{4 * index + (1 if side == 'internet' else 2)}"


class Internet:
    def __init__(self, name="internet"):
        self.name = name
        if name in namespaces():
            run("ip", "netns", "del", name, check=False)
        run("ip", "netns", "add", name)
        in_ns(name, "ip", "link", "set", "lo", "up")
        in_ns(name, "ip", "addr", "add", f"{SERVER_IP}/32", "dev", "lo")
        # Hash flows over the edges by ports too, as an upstream router would.
        in_ns(name, "sysctl", "-q", "-w", "net.ipv4.fib_multipath_hash_policy=1")
        self.links = {}  # edge index -> TAP name, for the links that exist

    def attach(self, index, tap):
        """Configures the internet side of edge `index`'s TAP and routes the pool over the
        live edges."""
        assert wait_until(lambda: tap in self.devices(), 15), f"{tap} never reached {self.name}"
        in_ns(self.name, "ip", "addr", "replace", f"{link_address(index, 'internet')}/30", "dev",
              tap)
        in_ns(self.name, "ip", "link", "set", tap, "up")
        self.links[index] = tap
        self.route()

    def forget(self, index):
        """The edge's TAP went with its process; the kernel dropped its nexthop by itself
        (nothing is reconfigured here: that is what the failover tests check)."""
        self.links.pop(index, None)

    def route(self):
        live = {i: t for i, t in self.links.items() if t in self.devices()}
        for i, tap in live.items():
            in_ns(self.name, "ip", "nexthop", "replace", "id", str(i + 1), "via",
                  link_address(i, "edge"), "dev", tap)
        if not live:
            in_ns(self.name, "ip", "route", "del", PUBLIC_POOL, check=False)
            return
        group = "/".join(str(i + 1) for i in sorted(live))
        in_ns(self.name, "ip", "nexthop", "replace", "id", str(NEXTHOP_GROUP), "group", group)
        in_ns(self.name, "ip", "route", "replace", PUBLIC_POOL, "nhid", str(NEXTHOP_GROUP))

    def devices(self):
        out = in_ns(self.name, "ip", "-o", "link", "show", check=False).stdout
        return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}

    def close(self):
        if self.name in namespaces():
            for pid in run("ip", "netns", "pids", self.name, check=False).stdout.split():
                subprocess.run(["kill", "-9", pid], check=False)
            run("ip", "netns", "del", self.name, check=False)


class EdgeUnderTest:
    """openvpc-edge `node_id` on `underlay`, its outside TAP in the internet namespace."""

    def __init__(self, build_dir: Path, region, internet: Internet, index, underlay):
        self.binary = require_binary(build_dir, "src/edge/openvpc-edge", "openvpc-edge")
        self.region, self.internet, self.index, self.underlay = region, internet, index, underlay
        self.node_id = f"edge{index}"
        self.tap = f"{region.tag}o{index}"
        self.log_path = region.work / f"{self.node_id}.log"
        self.admin = f"{underlay}:9181"
        self.tls_dir = region.controller.issue(self.node_id, "edge",
                                               region.work / f"tls-{self.node_id}")
        self.proc = None
        self.start()

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [str(self.binary), "--node-id", self.node_id, "--underlay-ip", self.underlay,
             "--controller", f"127.0.0.1:{self.region.mapping_port}",
             "--tls-dir", self.tls_dir, "--outside-dev", self.tap, "--outside-netns", self.internet.name,
             "--outside-address", f"{link_address(self.index, 'edge')}/30",
             "--outside-gateway", link_address(self.index, "internet"),
             "--admin", self.admin, "--log-level", "debug"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.internet.attach(self.index, self.tap)
        assert wait_until(lambda: self.metric("openvpc_edge_next_hop_resolved") == 1, 15), \
            self.log_tail()

    def metrics(self):
        try:
            out = run("curl", "-s", "--max-time", "2", f"http://{self.admin}/metrics",
                      check=False).stdout
        except subprocess.TimeoutExpired:
            return ""
        return out

    def metric(self, name, **labels):
        """The value of one sample (labels matched as given), or None."""
        for line in self.metrics().splitlines():
            if line.startswith("#") or not line.startswith(name):
                continue
            head, _, value = line.rpartition(" ")
            if head.split("{")[0] != name:
                continue
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                return float(value)
        return None

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)
        self.log.close()
        self.internet.forget(self.index)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if not self.log.closed:
            self.log.close()
        return self.proc.returncode

    def log_tail(self, n=3000):
        return self.log_path.read_text()[-n:]


def wait_for_edges(region, count, timeout=10):
    """Waits until the controller counts `count` live edge nodes (its /metrics)."""
    def listed():
        text = run("curl", "-s", "--max-time", "2",
                   f"http://127.0.0.1:{region.controller.port}/metrics", check=False).stdout
        for line in text.splitlines():
            if line.startswith('openvpc_controller_fleet_nodes{role="edge"}'):
                return int(float(line.split()[-1])) == count
        return False
    return wait_until(listed, timeout)


NGINX_CONF = """
worker_processes 1; daemon on; pid {work}/nginx-{name}.pid;
error_log {work}/nginx-{name}-error.log;
events {{ worker_connections 1024; }}
http {{ access_log {work}/nginx-{name}-access.log; client_body_temp_path {work}/nginx-{name}-body;
  keepalive_timeout 120s; keepalive_requests 100000;
  server {{ listen {listen}; location / {{ return 200 "hello from {name}\\n"; }} }} }}
"""

# A line echo server in the internet namespace: what an idle connection talks to.

# `count` keep-alive HTTP connections to nginx, each asked again every ~50 ms for `seconds`:
# prints errors (a reset or lost connection) and the worst round trip (the stall).
KEEPALIVE_CLIENT = r"""
import socket, sys, time
count, seconds, server = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
conns = []
for _ in range(count):
    s = socket.create_connection((server, 80), timeout=5)
    s.settimeout(3)
    conns.append(s)
print("connected", flush=True)
request = b"GET / HTTP/1.1\r\nHost: w\r\n\r\n"
errors, worst, rounds = 0, 0.0, 0
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    for s in conns:
        t0 = time.monotonic()
        try:
            s.sendall(request)
            data = b""
            while not data.endswith(b"hello from world\n"):
                chunk = s.recv(4096)
                if not chunk:
                    raise ConnectionError("closed")
                data += chunk
        except Exception as e:
            errors += 1
            print("error", repr(e), flush=True)
        worst = max(worst, time.monotonic() - t0)
    rounds += 1
    time.sleep(0.05)
print(f"rounds {rounds} errors {errors} worst {worst:.3f}", flush=True)
"""

# One connection to the echo server: a round trip, `idle` seconds of silence, another try.


def start_nginx(ns, work: Path, name, listen):
    (work / f"nginx-{name}.conf").write_text(
        NGINX_CONF.format(work=work, name=name, listen=listen))
    in_ns(ns, "nginx", "-c", str(work / f"nginx-{name}.conf"))
    pid_file = work / f"nginx-{name}.pid"
    assert wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), 10)
    return int(pid_file.read_text())


def access_log(work: Path, name):
    """nginx `name`'s access log lines, once it has written the last request (nginx logs after
    it answered)."""
    path = work / f"nginx-{name}-access.log"
    wait_until(lambda: path.exists() and path.read_text().endswith("\n"), 2)
    return path.read_text().splitlines()


def curl(ns, url, timeout=5, extra=()):
    return in_ns(ns, "curl", "-s", "--max-time", str(timeout), *extra, url, check=False,
                 timeout=timeout + 5)
