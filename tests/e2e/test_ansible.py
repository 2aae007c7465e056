"""Ansible against a real controller (issue 17): Debian's ansible-playbook with the amazon.aws
and community.aws collections it ships, modules unchanged, only `endpoint_url` pointing at the
controller. tests/e2e/ansible/two_tier.yml builds a two-tier VPC (subnets, internet and NAT
gateways, route tables, security groups referring to groups, a network ACL, interfaces, an
elastic IP, DHCP options) and asserts what the *_info modules report; a second run must change
nothing; teardown.yml removes it all, and boto3 then finds nothing the playbook made.

Ansible is required, never skipped: scripts/install-deps installs Debian's `ansible`.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

import pytest

from api_fixtures import Controller, wait_until
from conftest import require_binary

ANSIBLE_PLAYBOOK = "/usr/bin/ansible-playbook"
PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ansible")
RECAP = re.compile(r"^localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+"
                   r"failed=(\d+)", re.M)


class Site:
    """A controller with its mapping service and one hyperplane node with a certificate from
    the controller's CA (so that NAT gateways become available), plus a private HOME and an
    extra-vars file for ansible-playbook."""

    def __init__(self, hyperplane):
        self.tmp = tempfile.mkdtemp(prefix="openvpc-ansible-")
        port_file = os.path.join(self.tmp, "mapping-port")
        self.controller = Controller(extra_args=[
            "--mapping-port", "0", "--mapping-port-file", port_file,
            "--hyperplane-shard-size", "1"])
        self.node = None
        try:
            assert wait_until(lambda: os.path.exists(port_file) and
                              open(port_file).read().strip())
            mapping = "127.0.0.1:" + open(port_file).read().strip()
            tls_dir = self.controller.issue("hp1", "hyperplane", os.path.join(self.tmp, "tls"))
            with open(os.path.join(self.tmp, "hyperplane.log"), "w") as log:
                self.node = subprocess.Popen(
                    [str(hyperplane), "--node-id", "hp1", "--underlay-ip", "127.0.12.1",
                     "--controller", mapping, "--tls-dir", tls_dir],
                    stdout=log, stderr=subprocess.STDOUT)
            self.extra_vars = os.path.join(self.tmp, "openvpc.json")
            key, secret = self.controller.credentials
            with open(self.extra_vars, "w") as f:
                json.dump({"openvpc_endpoint": self.controller.endpoint,
                           "openvpc_access_key": key, "openvpc_secret_key": secret}, f)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.node and self.node.poll() is None:
            self.node.send_signal(signal.SIGTERM)
            try:
                self.node.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.node.kill()
                self.node.wait(timeout=10)
        self.controller.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def playbook(self, name, timeout=300):
        """Runs ansible-playbook NAME, which must succeed; returns (ok, changed) from its recap
        and the output."""
        home = os.path.join(self.tmp, "home")
        os.makedirs(home, exist_ok=True)
        env = {
            "PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
            "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
            "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        if os.environ.get("OPENVPC_ANSIBLE_VERBOSE"):
            env["ANSIBLE_VERBOSITY"] = os.environ["OPENVPC_ANSIBLE_VERBOSE"]
        done = subprocess.run(
            [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-e", "@" + self.extra_vars,
             os.path.join(PLAYBOOKS, name)],
            env=env, capture_output=True, text=True, timeout=timeout, cwd=self.tmp)
        output = done.stdout + done.stderr
        match = RECAP.search(done.stdout)
        assert done.returncode == 0 and match, \
            f"{name} failed (rc {done.returncode}):\n{output[-12000:]}\n" \
            f"controller log:\n{self.controller.read_log()}"
        ok, changed, unreachable, failed = map(int, match.groups())
        assert unreachable == 0 and failed == 0, output[-12000:]
        return ok, changed, output


@pytest.fixture(scope="module")
def site(build_dir):
    if not os.access(ANSIBLE_PLAYBOOK, os.X_OK):
        pytest.fail(f"{ANSIBLE_PLAYBOOK} is missing: run scripts/install-deps", pytrace=False)
    require_binary(build_dir, "src/controller/openvpc-controller", "openvpc-controller")
    require_binary(build_dir, "src/cli/openvpc", "openvpc")  # issues the node's certificate
    s = Site(require_binary(build_dir, "src/hyperplane/openvpc-hyperplane",
                            "openvpc-hyperplane"))
    yield s
    s.stop()


ACCOUNT_DEFAULT_DHCP = {"domain-name": ["ec2.internal"],
                        "domain-name-servers": ["AmazonProvidedDNS"]}


def is_account_default(options):
    """The account's default DHCP options set (untagged, ec2.internal, AmazonProvidedDNS).
    EC2 has it from the account's creation; openvpc makes it with the account's first VPC, so
    it may appear during the run and stays after the teardown, as it does in EC2."""
    return not options.get("Tags") and {
        c["Key"]: [v["Value"] for v in c["Values"]]
        for c in options["DhcpConfigurations"]} == ACCOUNT_DEFAULT_DHCP


def inventory(ec2):
    """Every resource id the account can see (NAT gateways that are not deleted; DHCP options
    but the account's default set)."""
    def ids(answer, key, field):
        return {item[field] for item in answer[key]}
    nats = ec2.describe_nat_gateways()["NatGateways"]
    dhcp = ec2.describe_dhcp_options()["DhcpOptions"]
    assert len([o for o in dhcp if is_account_default(o)]) <= 1, dhcp
    return {
        "vpcs": ids(ec2.describe_vpcs(), "Vpcs", "VpcId"),
        "subnets": ids(ec2.describe_subnets(), "Subnets", "SubnetId"),
        "internet gateways": ids(ec2.describe_internet_gateways(), "InternetGateways",
                                 "InternetGatewayId"),
        "route tables": ids(ec2.describe_route_tables(), "RouteTables", "RouteTableId"),
        "security groups": ids(ec2.describe_security_groups(), "SecurityGroups", "GroupId"),
        "network acls": ids(ec2.describe_network_acls(), "NetworkAcls", "NetworkAclId"),
        "interfaces": ids(ec2.describe_network_interfaces(), "NetworkInterfaces",
                          "NetworkInterfaceId"),
        "addresses": ids(ec2.describe_addresses(), "Addresses", "AllocationId"),
        "dhcp options": {o["DhcpOptionsId"] for o in dhcp if not is_account_default(o)},
        "nat gateways": {n["NatGatewayId"] for n in nats if n["State"] != "deleted"},
    }


def test_two_tier_playbook_is_idempotent_and_tears_down(site):
    ec2 = site.controller.boto3()
    before = inventory(ec2)

    ok, changed, output = site.playbook("two_tier.yml")
    assert changed > 0, output
    built = inventory(ec2)
    # What the playbook made, counted by kind (the VPC brings its main route table, default
    # security group and default network ACL; the NAT gateway its interface).
    made = {kind: len(built[kind] - before[kind]) for kind in built}
    assert made == {"vpcs": 1, "subnets": 2, "internet gateways": 1, "route tables": 3,
                    "security groups": 3, "network acls": 2, "interfaces": 3,
                    "addresses": 2, "dhcp options": 1, "nat gateways": 1}, made

    ok2, changed2, output2 = site.playbook("two_tier.yml")
    assert changed2 == 0, output2
    assert ok2 == ok, output2
    assert inventory(ec2) == built

    _, changed, output = site.playbook("teardown.yml")
    assert changed > 0, output
    assert inventory(ec2) == before
    # Nothing left to remove: a second teardown changes nothing.
    _, changed, output = site.playbook("teardown.yml")
    assert changed == 0, output
