"""Flow logs end to end: CreateFlowLogs with a file destination, lines for a scripted exchange.

A region (controller + routers h1=127.0.2.2 and h2=127.0.2.3, aggregation window shortened to
5 s with the routers' --flow-log-window-seconds test knob; each router's --flow-log-root is its
own directory in the region's work dir). With the stock `aws ec2` CLI: a VPC, two subnets, a
group allowing ICMP and TCP 80 from the VPC, instance A on h1 and B on h2. Destinations are
paths relative to the account's directory (ROOT/ACCOUNT/). Flow logs: A's interface, ALL,
default format, into web/flows.log; A's interface again into `passwd`, where a symlink to
/etc/passwd was planted on h1 (the router refuses it: DescribeFlowLogs shows the router's
error); B's interface, REJECT only, a version-5 custom LogFormat.
The exchange, inside one aggregation window: A pings B three times (ACCEPT both ways on A),
B connects to A's port 22 (REJECT on A), A connects to B's port 22 (ACCEPT on A's egress,
REJECT on B). The files must hold exactly the expected lines (start/end only bounded);
DescribeFlowLogs shows SUCCESS and FAILED (the router's error), the router counts the failed
writes and /etc/passwd is untouched; absolute and '..' destinations are refused by the API; a
symlinked directory is refused by the router; removing the planted link turns the status back
to SUCCESS; DeleteFlowLogs stops the writing; SIGTERM flushes the open window. Needs root,
dhclient and /usr/bin/aws. Everything is stopped by PID and removed in every outcome.
"""
import hashlib
import os
import time
from pathlib import Path

import pytest

from api_fixtures import wait_until
from region_fixtures import RegionUnderTest
from router_fixtures import in_ns

A_IP, B_IP = "10.0.1.5", "10.0.2.7"
HOSTS = {"h1": "127.0.2.2", "h2": "127.0.2.3"}
WINDOW = 5  # seconds, --flow-log-window-seconds
ICMP_FROM_VPC = "IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=10.0.0.0/16}]"
TCP80_FROM_VPC = "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=10.0.0.0/16}]"
B_FORMAT = ("${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${srcaddr} "
            "${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${action} "
            "${flow-direction}")


@pytest.fixture(scope="module")
def region(build_dir: Path):
    region = RegionUnderTest(build_dir, HOSTS, name="flowlogs",
                             router_args=["--flow-log-window-seconds", str(WINDOW)],
                             controller_args=["--limit", "flow_logs_per_resource=5"])
    try:
        yield region
    finally:
        region.close()


def create_flow_log(region, eni, destination, traffic="ALL", log_format=None):
    args = ["create-flow-logs", "--resource-type", "NetworkInterface", "--resource-ids", eni,
            "--traffic-type", traffic, "--log-destination-type", "file",
            "--log-destination", str(destination)]
    if log_format:
        args += ["--log-format", log_format]
    out = region.controller.aws_ok(*args)
    assert out["Unsuccessful"] == []
    return out["FlowLogIds"][0]


def account_dir(region, host):
    """ROOT/ACCOUNT/ on the host: where the account's flow-log destinations live."""
    return region.routers[host].flow_log_root / region.account


def passwd_state():
    st = os.stat("/etc/passwd")
    return hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest(), st.st_mtime_ns, st.st_size


def flow_log_status(region, flow_log):
    logs = region.controller.aws_ok("describe-flow-logs", "--flow-log-ids", flow_log)["FlowLogs"]
    return logs[0]["DeliverLogsStatus"], logs[0].get("DeliverLogsErrorMessage", "")


def router_flow_logs(region, host):
    counters = region.routers[host].counters() or {}
    return counters.get("flow_logs", {})


def lines_of(path):
    return path.read_text().splitlines() if path.exists() else []


def wait_for_window_start(margin=0.1):
    """Sleeps until just after an aggregation window starts, so an exchange shorter than
    WINDOW - 1 s falls into one window (and one record per flow)."""
    now = time.time()
    start = now - now % WINDOW + WINDOW
    time.sleep(start - now + margin)
    return int(start)


def connect(ns, source, port, destination, destination_port):
    """One TCP SYN from source:port (no retransmission within the 0.5 s timeout)."""
    script = ("import socket; s = socket.socket(); s.bind(({!r}, {})); s.settimeout(0.5); "
              "s.connect_ex(({!r}, {}))").format(source, port, destination, destination_port)
    in_ns(ns, "/usr/bin/python3", "-c", script, check=False)


def without_times(line):
    """A default-format line without its start and end fields, and those two as integers."""
    fields = line.split()
    return " ".join(fields[:10] + fields[12:]), int(fields[10]), int(fields[11])


def test_region_with_two_instances(region):
    vpc, subnets = region.create_vpc()
    group = region.create_group(vpc, "web", ICMP_FROM_VPC, TCP80_FROM_VPC)
    region.a = region.launch("h1", subnets[0], A_IP, [group])
    region.b = region.launch("h2", subnets[1], B_IP, [group])
    for ns in (region.a, region.b):
        region.up(ns)
    region.vpc, region.subnets = vpc, subnets
    region.eni_a, region.eni_b = region.eni_of(region.a), region.eni_of(region.b)
    out = region.controller.aws_ok("describe-network-interfaces", "--network-interface-ids",
                                   region.eni_a)
    region.account = out["NetworkInterfaces"][0]["OwnerId"]


def test_scripted_exchange_gives_the_expected_records(region):
    a_file = account_dir(region, "h1") / "web" / "flows.log"
    b_file = account_dir(region, "h2") / "b-rejects.log"
    # Someone with a shell on h1 plants a link to /etc/passwd where a tenant's file would go.
    account_dir(region, "h1").mkdir(parents=True)
    (account_dir(region, "h1") / "passwd").symlink_to("/etc/passwd")
    region.passwd = passwd_state()
    region.fl_a = create_flow_log(region, region.eni_a, "web/flows.log")
    region.fl_missing = create_flow_log(region, region.eni_a, "passwd")
    region.fl_b = create_flow_log(region, region.eni_b, "b-rejects.log", "REJECT", B_FORMAT)
    assert wait_until(lambda: {region.fl_a, region.fl_missing} <= set(router_flow_logs(
        region, "h1")) and region.fl_b in router_flow_logs(region, "h2"), 20)

    start = wait_for_window_start()
    ping = in_ns(region.a, "ping", "-c", "3", "-i", "0.2", "-W", "2", B_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    connect(region.b, B_IP, 40022, A_IP, 22)  # A's group has no port 22: REJECT on A
    connect(region.a, A_IP, 40023, B_IP, 22)  # leaves A (ACCEPT), REJECT on B
    assert time.time() < start + WINDOW - 0.5, "the exchange did not fit in one window"

    assert wait_until(lambda: len(lines_of(a_file)) >= 5 and len(lines_of(b_file)) >= 2,
                      WINDOW + 10), (lines_of(a_file), lines_of(b_file))
    time.sleep(0.5)  # every worker's records of the window are in
    a_lines = lines_of(a_file)
    assert a_lines[0] == ("version account-id interface-id srcaddr dstaddr srcport dstport "
                          "protocol packets bytes start end action log-status")
    prefix = f"2 {region.account} {region.eni_a}"
    expected = sorted([
        f"{prefix} {A_IP} {B_IP} 0 0 1 3 252 ACCEPT OK",
        f"{prefix} {B_IP} {A_IP} 0 0 1 3 252 ACCEPT OK",
        f"{prefix} {B_IP} {A_IP} 40022 22 6 1 60 REJECT OK",
        f"{prefix} {A_IP} {B_IP} 40023 22 6 1 60 ACCEPT OK",
    ])
    records = [without_times(line) for line in a_lines[1:]]
    assert sorted(r[0] for r in records) == expected, "\n".join(a_lines)
    for text, first, last in records:
        assert start <= first <= last < start + WINDOW, (text, first, last, start)

    b_lines = lines_of(b_file)
    assert b_lines == [
        B_FORMAT.replace("${", "").replace("}", ""),
        f"5 {region.vpc} {region.subnets[1]} {region.b} {region.eni_b} {A_IP} {B_IP} 40023 22 "
        "6 1 REJECT ingress",
    ]


def test_describe_flow_logs_shows_delivery_status(region):
    out = region.controller.aws_ok("describe-flow-logs", "--flow-log-ids", region.fl_a,
                                   region.fl_missing)
    logs = {log["FlowLogId"]: log for log in out["FlowLogs"]}
    ok, missing = logs[region.fl_a], logs[region.fl_missing]
    assert ok["DeliverLogsStatus"] == "SUCCESS" and "DeliverLogsErrorMessage" not in ok
    assert ok["LogDestinationType"] == "file" and ok["TrafficType"] == "ALL"
    assert ok["ResourceId"] == region.eni_a and ok["FlowLogStatus"] == "ACTIVE"
    assert missing["DeliverLogsStatus"] == "FAILED"
    assert missing["DeliverLogsErrorMessage"] == (
        "Access error: passwd: Too many levels of symbolic links"), missing
    assert ok["LogDestination"] == "web/flows.log"
    failed = region.controller.aws_ok("describe-flow-logs", "--filter",
                                      "Name=deliver-log-status,Values=FAILED")["FlowLogs"]
    assert [log["FlowLogId"] for log in failed] == [region.fl_missing]
    # The router counted every record it could not write there, with the reason.
    delivery = router_flow_logs(region, "h1")[region.fl_missing]
    assert delivery["records_written"] == 0 and delivery["records_failed"] == 4, delivery
    assert "Too many levels of symbolic links" in delivery["last_error"], delivery
    assert router_flow_logs(region, "h1")[region.fl_a]["records_written"] == 4
    assert passwd_state() == region.passwd, "/etc/passwd changed"
    assert (account_dir(region, "h1") / "passwd").is_symlink()


def test_bad_destinations_are_refused(region):
    c = region.controller
    for destination in ("/etc/passwd", str(account_dir(region, "h1") / "x.log"), "../x.log",
                        "web/../../x.log"):
        err = c.aws_error("create-flow-logs", "--resource-type", "NetworkInterface",
                          "--resource-ids", region.eni_b, "--log-destination-type", "file",
                          "--log-destination", destination)
        assert "InvalidParameter" in err, (destination, err)
    err = c.aws_error("create-flow-logs", "--resource-type", "NetworkInterface",
                      "--resource-ids", region.eni_b, "--log-destination-type", "s3",
                      "--log-destination", "arn:aws:s3:::bucket")
    assert "InvalidParameter" in err
    err = c.aws_error("create-flow-logs", "--resource-type", "NetworkInterface",
                      "--resource-ids", region.eni_b, "--log-destination", "x.log",
                      "--log-format", "${version} srcaddr")
    assert "InvalidParameter" in err
    assert passwd_state() == region.passwd


def test_a_symlinked_directory_is_a_router_error(region):
    """The router refuses what the API cannot see: a directory on the way that is a symlink."""
    (account_dir(region, "h1") / "etc").symlink_to("/etc")
    fl = create_flow_log(region, region.eni_a, "etc/passwd")
    assert wait_until(lambda: flow_log_status(region, fl)[0] == "FAILED", 20)
    assert flow_log_status(region, fl)[1] == (
        "Access error: etc/passwd: Too many levels of symbolic links")
    region.controller.aws_ok("delete-flow-logs", "--flow-log-ids", fl)
    assert passwd_state() == region.passwd


def test_status_follows_the_router_when_the_cause_goes(region):
    """The operator removes the planted link: the next delivery works and says SUCCESS."""
    (account_dir(region, "h1") / "passwd").unlink()
    ping = in_ns(region.a, "ping", "-c", "1", "-W", "2", B_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert wait_until(lambda: flow_log_status(region, region.fl_missing) == ("SUCCESS", ""),
                      WINDOW + 10)
    # SUCCESS can come from a window that closed between the unlink and the ping with nothing
    # to write for this log; the ping's records come with the next window.
    assert wait_until(lambda: (account_dir(region, "h1") / "passwd").is_file(), WINDOW + 10)
    assert not (account_dir(region, "h1") / "passwd").is_symlink()
    assert passwd_state() == region.passwd


def test_delete_flow_logs_stops_writing(region):
    a_file = account_dir(region, "h1") / "web" / "flows.log"
    region.controller.aws_ok("delete-flow-logs", "--flow-log-ids", region.fl_a)
    assert wait_until(lambda: region.fl_a not in router_flow_logs(region, "h1"), 20)
    before = a_file.read_text()
    written = router_flow_logs(region, "h1")[region.fl_missing]["records_written"]
    ping = in_ns(region.a, "ping", "-c", "2", "-i", "0.2", "-W", "2", B_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    # The ENI's other flow log shows the window was delivered; this one wrote nothing.
    assert wait_until(lambda: router_flow_logs(region, "h1")[region.fl_missing][
        "records_written"] > written, WINDOW + 10)
    assert a_file.read_text() == before


def test_sigterm_delivers_the_open_window(region):
    last_file = account_dir(region, "h1") / "last.log"
    fl = create_flow_log(region, region.eni_a, "last.log")
    assert wait_until(lambda: fl in router_flow_logs(region, "h1"), 20)
    start = wait_for_window_start()
    ping = in_ns(region.a, "ping", "-c", "1", "-W", "2", B_IP, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert time.time() < start + WINDOW - 2, "too late in the window to tell"
    assert region.routers["h1"].stop() == 0
    assert time.time() < start + WINDOW, "the window ended before the router stopped"
    records = sorted(without_times(line)[0] for line in lines_of(last_file)[1:])
    prefix = f"2 {region.account} {region.eni_a}"
    assert records == sorted([f"{prefix} {A_IP} {B_IP} 0 0 1 1 84 ACCEPT OK",
                              f"{prefix} {B_IP} {A_IP} 0 0 1 1 84 ACCEPT OK"]), (
        lines_of(last_file), region.routers["h1"].log_tail())
