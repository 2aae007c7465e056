"""A router's admin endpoint over HTTPS (README "Security").

A one-host region whose router serves its admin endpoint with --admin-tls (what it does by
default on any address that is not loopback): only a client with an operator certificate from
the region's CA gets /metrics or /trace; another host's certificate gets 403, no certificate
or plain HTTP gets nothing. `openvpc --tls-dir` reaches it; the router refuses to start an
off-loopback admin endpoint without --tls-dir.
"""
import subprocess
from pathlib import Path

import pytest

from api_fixtures import CLI, wait_until
from region_fixtures import RegionUnderTest

UNDERLAY = "127.0.9.20"
ADMIN = f"{UNDERLAY}:9180"


@pytest.fixture(scope="module")
def region(build_dir: Path):
    r = RegionUnderTest(build_dir, {"a1": UNDERLAY}, name="admintls",
                        router_args=["--admin", ADMIN, "--admin-tls"])
    r.operator = r.controller.issue("alice", "operator", r.work / "tls-alice")
    yield r
    r.close()


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "5", *args], capture_output=True,
                          text=True)


def with_certificate(folder):
    return ["--cacert", f"{folder}/ca.pem", "--cert", f"{folder}/cert.pem",
            "--key", f"{folder}/key.pem"]


def test_an_operator_certificate_reads_metrics(region):
    def served():
        done = curl(*with_certificate(region.operator), f"https://{ADMIN}/metrics")
        return done.returncode == 0 and "openvpc_" in done.stdout
    assert wait_until(served, 20), region.routers["a1"].log_tail()
    assert "admin endpoint on https://" in region.routers["a1"].log_tail(20000)


def test_a_host_certificate_is_forbidden(region):
    done = curl(*with_certificate(region.work / "tls-a1"), "-o", "/dev/null", "-w",
                "%{http_code}", f"https://{ADMIN}/metrics")
    assert done.stdout == "403", done.stderr


def test_no_certificate_or_plain_http_gets_nothing(region):
    no_cert = curl("--cacert", f"{region.operator}/ca.pem", f"https://{ADMIN}/metrics")
    assert no_cert.returncode != 0 and "openvpc_" not in no_cert.stdout
    plain = curl(f"http://{ADMIN}/metrics")
    assert plain.returncode != 0 or "openvpc_" not in plain.stdout


def test_the_cli_reaches_the_router_with_an_operator_certificate(region):
    args = ["trace", "--router", ADMIN, "--eni", "eni-0000000000000000f", "--src", "10.0.1.5",
            "--dst", "10.0.1.6"]
    with_tls = subprocess.run([CLI, "--tls-dir", region.operator, *args], capture_output=True,
                              text=True, timeout=15)
    # The router answered (the ENI is unknown to it): the HTTPS connection itself worked.
    assert with_tls.returncode != 0
    assert "ConnectionFailed" not in with_tls.stderr, with_tls.stderr
    without = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=15)
    assert without.returncode != 0
    assert "ConnectionFailed" in without.stderr, without.stderr


def test_an_off_loopback_admin_endpoint_needs_tls(region):
    done = subprocess.run(
        [str(region.router_binary), "--host-id", "a9", "--underlay-ip", "192.0.2.9",
         "--program", "/nonexistent.json", "--admin", "192.0.2.9:9180"], capture_output=True, text=True, timeout=10)
    assert done.returncode != 0 and "--tls-dir" in done.stdout + done.stderr
