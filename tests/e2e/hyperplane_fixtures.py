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
