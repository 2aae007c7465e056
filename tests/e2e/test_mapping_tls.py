"""The mapping service speaks mutual TLS (README "Security").

A region with one router h1 (its own certificate from `openvpc host add`) and a second host h2
that the controller knows. Then three impostors try to be h2: a router with h1's certificate
(the controller refuses it and counts openvpc_controller_mapping_refused_total{reason=
"host_mismatch"}), one with a certificate from another CA (the handshake fails), and one in
plaintext (--insecure). None gets h2's program; h1 keeps getting its own. Last, a controller started
with --insecure serves a router started with --insecure (an old plaintext setup).
"""
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest

from api_fixtures import CLI, wait_until
from region_fixtures import RegionUnderTest

H1, H2 = "127.0.9.2", "127.0.9.3"


@pytest.fixture(scope="module")
def region(build_dir: Path):
    r = RegionUnderTest(build_dir, {"h1": H1}, name="tls",
                        controller_args=["--host", f"h2={H2}"])
    yield r
    r.close()


def metrics(region):
    url = f"http://127.0.0.1:{region.controller.port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def sample(text, name, **labels):
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        if head.split("{")[0] == name and all(f'{k}="{v}"' in head for k, v in labels.items()):
            return float(value)
    return None


def impostor(region, underlay, name, *args):
    """An openvpc-router claiming to be h2; killed by close() (region.helpers)."""
    log = open(region.work / f"impostor-{name}.log", "a")
    proc = subprocess.Popen(
        [str(region.router_binary), "--host-id", "h2", "--underlay-ip", underlay,
         "--controller", f"127.0.0.1:{region.mapping_port}", "--admin", "off",
         "--tap-prefix", region.tag, "--state-dir", str(region.work / f"state-{name}")]
        + list(args), stdout=log, stderr=subprocess.STDOUT)
    log.close()
    region.helpers.append(proc)
    return proc


def test_a_router_with_its_certificate_gets_its_program(region):
    assert wait_until(lambda: sample(metrics(region), "openvpc_host_connected", host_id="h1") == 1,
                      20), region.routers["h1"].log_tail()
    text = metrics(region)
    acked = sample(text, "openvpc_host_acked_program_version", host_id="h1")
    assert acked is not None and acked >= 1
    assert acked == sample(text, "openvpc_host_desired_program_version", host_id="h1")
    assert "mutual TLS" in region.controller.read_log()


def test_a_certificate_for_another_host_is_refused_and_counted(region):
    before = sample(metrics(region), "openvpc_controller_mapping_refused_total",
                    reason="host_mismatch")
    assert before == 0
    proc = impostor(region, "127.0.9.4", "stolen", "--tls-dir", str(region.work / "tls-h1"))
    assert wait_until(lambda: sample(metrics(region), "openvpc_controller_mapping_refused_total",
                                     reason="host_mismatch") >= 1, 20)
    text = metrics(region)
    assert sample(text, "openvpc_host_connected", host_id="h2") == 0
    assert sample(text, "openvpc_host_acked_program_version", host_id="h2") == 0
    assert proc.poll() is None  # it keeps waiting (and retrying slowly), it does not run h2
    assert sample(text, "openvpc_host_connected", host_id="h1") == 1


def test_a_certificate_from_another_ca_fails_the_handshake(region):
    other = Path(tempfile.mkdtemp(prefix="ovt-foreign-ca-", dir=region.work))
    done = subprocess.run([CLI, "host", "add", "--data-dir", str(other / "data"), "--id", "h2",
                           "--role", "router", "--out", str(other / "h2")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    impostor(region, "127.0.9.5", "foreign", "--tls-dir", str(other / "h2"))
    log = region.work / "impostor-foreign.log"
    assert wait_until(lambda: log.exists() and "waiting for the first program" in log.read_text(),
                      10)
    # Give it the time of several handshakes; it never gets h2's program.
    assert not wait_until(lambda: sample(metrics(region), "openvpc_host_connected",
                                         host_id="h2") == 1, 3)
    assert sample(metrics(region), "openvpc_host_acked_program_version", host_id="h2") == 0


def test_a_plaintext_client_is_refused(region):
    impostor(region, "127.0.9.6", "plain", "--insecure")
    assert not wait_until(lambda: sample(metrics(region), "openvpc_host_connected",
                                         host_id="h2") == 1, 3)
    assert sample(metrics(region), "openvpc_host_acked_program_version", host_id="h2") == 0


def test_a_router_needs_tls_or_insecure(region):
    done = subprocess.run(
        [str(region.router_binary), "--host-id", "h2", "--underlay-ip", "127.0.9.7",
         "--controller", f"127.0.0.1:{region.mapping_port}", "--admin", "off"],
        capture_output=True, text=True, timeout=10)
    assert done.returncode != 0
    assert "--tls-dir" in (done.stdout + done.stderr)



def test_an_insecure_controller_serves_insecure_routers(build_dir: Path):
    """--insecure on both sides keeps an old plaintext setup working; no CA is made."""
    from api_fixtures import Controller
    from conftest import require_binary
    router_binary = require_binary(build_dir, "src/router/openvpc-router", "openvpc-router")
    scratch = Path(tempfile.mkdtemp(prefix="ovt-insecure-"))
    port_file = scratch / "mapping-port"
    controller = Controller(extra_args=["--insecure", "--mapping-port", "0",
                                        "--mapping-port-file", str(port_file),
                                        "--host", "p1=127.0.9.30"])
    proc = None
    try:
        assert wait_until(lambda: port_file.exists() and port_file.read_text().strip(), 20)
        proc = subprocess.Popen(
            [str(router_binary), "--host-id", "p1", "--underlay-ip", "127.0.9.30",
             "--controller", f"127.0.0.1:{int(port_file.read_text())}", "--insecure",
             "--admin", "off", "--tap-prefix", "ovi", "--state-dir", str(scratch)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{controller.port}/metrics"

        def connected():
            with urllib.request.urlopen(url, timeout=5) as response:
                return sample(response.read().decode(), "openvpc_host_connected",
                              host_id="p1") == 1
        assert wait_until(connected, 20), controller.read_log()
        assert "plaintext: --insecure" in controller.read_log()
        assert not Path(controller.data_dir, "pki").exists()
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)
        controller.stop()
        shutil.rmtree(scratch, ignore_errors=True)
