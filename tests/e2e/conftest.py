"""Shared pytest fixtures for openvpc's end-to-end tests (run with /usr/bin/python3).

`build_dir` is the CMake build to test: $OPENVPC_BUILD, or /work/main/build. Binaries are
required, never skipped: a missing binary fails the test with the command that builds it.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def build_dir() -> Path:
    return Path(os.environ.get("OPENVPC_BUILD", "/work/main/build"))


def require_root_and_tools(what, *tools):
    """Skips without root (what the test needs it for: TAPs, namespaces); fails when a tool
    that scripts/install-deps installs is missing."""
    if os.geteuid() != 0:
        pytest.skip(f"needs root for {what}")
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run scripts/install-deps", pytrace=False)


def require_binary(build_dir: Path, relative: str, target: str) -> Path:
    path = build_dir / relative
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: build it with "
                    f"`cmake --build {build_dir} --target {target}`", pytrace=False)
    return path


@pytest.fixture(scope="session")
def packet_tool(build_dir: Path) -> Path:
    """Path of the openvpc-packet CLI (tools/openvpc_packet.cc)."""
    return require_binary(build_dir, "tools/openvpc-packet", "openvpc-packet")


@pytest.fixture(scope="session")
def parse_packets(packet_tool: Path):
    """parse_packets([bytes, ...], ip=False) -> [PacketMeta as dict, ...] via openvpc-packet."""
    def parse(packets, ip=False):
        args = [str(packet_tool), "parse"] + (["--ip"] if ip else [])
        args += [bytes(p).hex() for p in packets]
        out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout
        results = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert len(results) == len(packets), out
        return results
    return parse


# --- what the suite must leave behind: nothing (tests/e2e/test_zz_nothing_left_behind.py) ---

# Programs the tests start; a leftover one of these, started after the session began, is a
# leak. (Processes of other users of the machine that started earlier are not counted.)
TEST_PROGRAMS = ("openvpc", "etcd", "dhclient", "udhcpc", "nginx", "iperf3", "tcpdump",
                 "dnsmasq", "wrk")


def system_state():
    """Network namespaces, root-namespace links and test-program processes, right now."""
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    processes = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        name = os.path.basename(argv[0].decode(errors="replace")) if argv and argv[0] else ""
        if any(name.startswith(p) for p in TEST_PROGRAMS) or "busybox" in name and \
                b"udhcpc" in argv:
            processes.add((int(pid), " ".join(a.decode(errors="replace") for a in argv)[:200]))
    return {
        "namespaces": {line.split()[0] for line in netns.splitlines() if line.strip()},
        "links": {line.split(":")[1].strip().split("@")[0] for line in links.splitlines()},
        "processes": processes,
    }


SESSION_START = {}


@pytest.fixture(scope="session", autouse=True)
def session_baseline():
    SESSION_START.update(system_state())
    yield
