"""Shared pytest fixtures for openvpc's end-to-end tests (run with /usr/bin/python3).

`build_dir` is the CMake build to test: $OPENVPC_BUILD, or /work/main/build. Binaries are
required, never skipped: a missing binary fails the test with the command that builds it.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def build_dir() -> Path:
    return Path(os.environ.get("OPENVPC_BUILD", "/work/main/build"))


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
