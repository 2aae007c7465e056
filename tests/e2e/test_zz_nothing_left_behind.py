"""The suite leaves nothing behind: runs last (pytest takes files in name order) and compares
the machine with what conftest.py recorded when the session began — no network namespace,
no link in the root namespace and no test program (openvpc daemons, etcd, dhclient, nginx,
iperf3, tcpdump, ...) that was not there before. Every module's fixtures have been torn down
by the time this runs, so whatever is found here leaked.
"""
import time

from conftest import SESSION_START, system_state


def test_no_namespace_link_or_process_left_behind():
    assert SESSION_START, "conftest's session baseline did not run"
    # Processes stopped by SIGTERM may take a moment to be reaped.
    for _ in range(50):
        now = system_state()
        leaked = {
            "namespaces": sorted(now["namespaces"] - SESSION_START["namespaces"]),
            "links": sorted(now["links"] - SESSION_START["links"]),
            "processes": sorted(now["processes"] - SESSION_START["processes"]),
        }
        if not any(leaked.values()):
            return
        time.sleep(0.1)
    assert not any(leaked.values()), leaked
