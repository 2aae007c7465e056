"""openvpc-hyperplane nodes for end-to-end tests.

HyperplaneNodeUnderTest runs one node subscribed to a region's controller (a certificate with
role hyperplane from `openvpc host add`), its /metrics on UNDERLAY:9182; kill() and start() let a
test take it away and bring it back under the same node id. Stopped by PID.
"""
import json
import signal
import subprocess
from pathlib import Path

from api_fixtures import CLI, wait_until
from conftest import require_binary
from router_fixtures import run


class HyperplaneNodeUnderTest:
    def __init__(self, build_dir: Path, region, node_id, underlay, extra=()):
        self.binary = require_binary(build_dir, "src/hyperplane/openvpc-hyperplane",
                                     "openvpc-hyperplane")
        self.region, self.node_id, self.underlay = region, node_id, underlay
        self.extra = list(extra)
        self.log_path = region.work / f"{node_id}.log"
        self.admin = f"{underlay}:9182"
        self.tls_dir = region.controller.issue(node_id, "hyperplane",
                                               region.work / f"tls-{node_id}")
        self.proc = None
        self.log = None
        self.start()

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [str(self.binary), "--node-id", self.node_id, "--underlay-ip", self.underlay,
             "--controller", f"127.0.0.1:{self.region.mapping_port}", "--tls-dir", self.tls_dir,
             "--admin", self.admin, "--log-level", "debug"] + self.extra,
            stdout=self.log, stderr=subprocess.STDOUT)
        assert wait_until(lambda: self.metrics() != "", 10), self.log_tail()

    def metrics(self):
        try:
            return run("curl", "-s", "--max-time", "2", f"http://{self.admin}/metrics",
                       check=False).stdout
        except subprocess.TimeoutExpired:
            return ""

    def metric(self, name, **labels):
        """The sum of the samples of `name` whose labels include `labels`; 0 when none."""
        total = 0.0
        for line in self.metrics().splitlines():
            if line.startswith("#"):
                continue
            head, _, value = line.rpartition(" ")
            if head.split("{")[0] != name:
                continue
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
        return total

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)
        self.log.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.log and not self.log.closed:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def log_tail(self, n=3000):
        return self.log_path.read_text()[-n:] if self.log_path.exists() else ""


def fleet_view(region):
    """`openvpc hyperplane --json`: the live nodes and each NAT gateway's shard."""
    done = run(CLI, "--endpoint", region.controller.endpoint,
               "--credentials", str(Path(region.controller.data_dir) / "admin-credentials"),
               "--json", "hyperplane", check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def live_nodes(region):
    return sorted(n["node_id"] for n in fleet_view(region)["nodes"] if n["live"])


def node_total(region, name, **labels):
    return sum(node.metric(name, **labels) for node in region.nodes.values())


# Holds every connection it accepts (SO_REUSEPORT: several may share the port); every
# 0.5 s writes the (address, port) pairs of its live connections to a file, one per line.
MANY_SERVER = r"""
import os, resource, select, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
server.bind((sys.argv[1], int(sys.argv[2])))
server.listen(65535)
server.setblocking(False)
poll = select.epoll()
poll.register(server.fileno(), select.EPOLLIN)
peers, conns = {}, {}
last = 0.0
while True:
    for fd, events in poll.poll(0.2):
        if fd == server.fileno():
            while True:
                try:
                    conn, peer = server.accept()
                except (BlockingIOError, OSError):
                    break
                conn.setblocking(False)
                peers[conn.fileno()], conns[conn.fileno()] = peer, conn
                poll.register(conn.fileno(), select.EPOLLIN)
        else:
            try:
                data = conns[fd].recv(100)
            except OSError:
                data = b""
            if not data:
                poll.unregister(fd)
                peers.pop(fd)
                conns.pop(fd).close()
    if time.monotonic() - last > 0.5:
        last = time.monotonic()
        with open(sys.argv[3] + ".tmp", "w") as f:
            f.write("".join(f"{a} {p}\n" for a, p in peers.values()))
        os.replace(sys.argv[3] + ".tmp", sys.argv[3])
"""


# Opens `count` connections at `rate` per second without waiting for any, sending a byte on
# each open one every 2 s (the NAT gateway's idle timeout is short here: an idle flow would be
# retired and its port handed out again); `settle` seconds after the last attempt prints
# "connected C pending P failed F" and holds them until stdin closes.
MANY_CLIENT = r"""
import resource, select, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
server, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rate, settle = float(sys.argv[4]), float(sys.argv[5])
poll = select.epoll()
socks, state, connected = {}, {}, []
started = time.monotonic()
last_keepalive = started
def drain(timeout):
    global last_keepalive
    for fd, events in poll.poll(timeout):
        error = socks[fd].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        state[fd] = "connected" if error == 0 else "failed"
        if error == 0:
            connected.append(socks[fd])
        poll.unregister(fd)
    if time.monotonic() - last_keepalive > 2.0:
        last_keepalive = time.monotonic()
        for s in connected:
            try:
                s.send(b"k")
            except OSError:
                pass
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex((server, port))
    socks[s.fileno()] = s
    state[s.fileno()] = "pending"
    poll.register(s.fileno(), select.EPOLLOUT)
    while time.monotonic() - started < (i + 1) / rate:
        drain(0.001)
deadline = time.monotonic() + settle
while time.monotonic() < deadline:
    drain(0.1)
counts = {k: list(state.values()).count(k) for k in ("connected", "pending", "failed")}
print(f"connected {counts['connected']} pending {counts['pending']} failed {counts['failed']}",
      flush=True)
sys.stdin.read()
"""
