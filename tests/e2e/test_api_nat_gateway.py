"""NAT gateways through boto3 (issue #12, API and placement): Create/Describe/DeleteNatGateway
with filters, tags and ClientToken, the requester-managed interface and its elastic IP, routes
with NatGatewayId and their state, failed gateways (Gateway.NotAttached), and placement on
shuffle shards of live openvpc-hyperplane nodes (`openvpc hyperplane`), refilled when a node
dies, and kept across a controller restart (the grace period). Hyperplane nodes announce
underlay addresses 127.0.12.x (they bind nothing yet)."""
import time
import json
import os
import re
import signal
import subprocess
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

from api_fixtures import BUILD, CLI, Controller, free_port, signed_post, wait_until

HYPERPLANE = os.path.join(BUILD, "src/hyperplane/openvpc-hyperplane")
NODES = 4
SHARD = 3
# --hyperplane-grace-seconds: how long a restarted controller keeps the shards; longer than the
# nodes' reconnect backoff (at most 5 s), as the default 30 s is.
GRACE = 10


class Fleet:
    """A controller with the mapping service and NODES hyperplane nodes (stopped by PID)."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="openvpc-nat-")
        port_file = os.path.join(self.tmp, "mapping-port")
        # A fixed mapping port, so the nodes find a restarted controller where they left it.
        self.controller = Controller(extra_args=[
            "--mapping-port", str(free_port()), "--mapping-port-file", port_file,
            "--hyperplane-shard-size", str(SHARD), "--hyperplane-grace-seconds", str(GRACE),
            "--limit", "elastic_ips_per_account=20", "--limit", "vpcs_per_account=10"])
        assert wait_until(lambda: os.path.exists(port_file) and open(port_file).read().strip())
        self.mapping = "127.0.0.1:" + open(port_file).read().strip()
        self.nodes = {}
        for i in range(1, NODES + 1):
            self.start_node(f"hp{i}")

    def start_node(self, node_id):
        log = open(os.path.join(self.tmp, node_id + ".log"), "a")
        tls_dir = self.controller.issue(node_id, "hyperplane",
                                        os.path.join(self.tmp, "tls-" + node_id))
        self.nodes[node_id] = subprocess.Popen(
            [HYPERPLANE, "--node-id", node_id, "--underlay-ip", f"127.0.12.{node_id[2:]}",
             "--controller", self.mapping, "--tls-dir", tls_dir],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def kill_node(self, node_id):
        proc = self.nodes.pop(node_id)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def hyperplane(self, as_json=True):
        done = subprocess.run(
            [CLI, "--endpoint", self.controller.endpoint, "--credentials",
             os.path.join(self.controller.data_dir, "admin-credentials")] +
            (["--json"] if as_json else []) + ["hyperplane"],
            capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if as_json else done.stdout

    def live(self):
        return sorted(n["node_id"] for n in self.hyperplane()["nodes"] if n["live"])

    def stop(self):
        for proc in self.nodes.values():
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.controller.stop()
        subprocess.run(["rm", "-rf", self.tmp], check=False)


@pytest.fixture(scope="module")
def fleet():
    f = Fleet()
    assert wait_until(lambda: len(f.live()) == NODES, 20), f.hyperplane()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def ec2(fleet):
    return fleet.controller.boto3()


def code(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"]


def network(ec2, cidr, igw=True):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace(".0.0/16", ".1.0/24"))[
        "Subnet"]["SubnetId"]
    if igw:
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    return vpc, subnet


def nat(ec2, nat_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]


def test_public_nat_gateway_without_internet_gateway_fails(ec2):
    vpc, subnet = network(ec2, "10.40.0.0/16", igw=False)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    created = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)["NatGateway"]
    described = nat(ec2, created["NatGatewayId"])
    assert described["State"] == "failed"
    assert described["FailureCode"] == "Gateway.NotAttached"
    assert vpc in described["FailureMessage"]
    # It holds nothing: the EIP is free, no interface was made.
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    assert ec2.describe_network_interfaces(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"] == []
    ec2.release_address(AllocationId=alloc)


def test_nat_gateway_lifecycle(ec2, fleet):
    vpc, subnet = network(ec2, "10.41.0.0/16")
    alloc = ec2.allocate_address(Domain="vpc")
    created = ec2.create_nat_gateway(
        SubnetId=subnet, AllocationId=alloc["AllocationId"], ClientToken="nat-token-1",
        TagSpecifications=[{"ResourceType": "natgateway",
                            "Tags": [{"Key": "Name", "Value": "egress"}]}])
    gateway = created["NatGateway"]
    nat_id = gateway["NatGatewayId"]
    assert nat_id.startswith("nat-") and gateway["State"] == "pending"
    assert gateway["ConnectivityType"] == "public"
    assert gateway["CreateTime"].year >= 2024
    # A retry with the same ClientToken answers the first gateway.
    again = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc["AllocationId"],
                                   ClientToken="nat-token-1",
                                   TagSpecifications=[{"ResourceType": "natgateway",
                                                       "Tags": [{"Key": "Name",
                                                                 "Value": "egress"}]}])
    assert again["NatGateway"]["NatGatewayId"] == nat_id

    ec2.get_waiter("nat_gateway_available").wait(
        NatGatewayIds=[nat_id], WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    described = nat(ec2, nat_id)
    assert described["VpcId"] == vpc and described["SubnetId"] == subnet
    assert described["Tags"] == [{"Key": "Name", "Value": "egress"}]
    [address] = described["NatGatewayAddresses"]
    assert address["AllocationId"] == alloc["AllocationId"]
    assert address["PublicIp"] == alloc["PublicIp"]

    # Its interface: requester-managed, type nat_gateway, no security group, in use.
    eni = ec2.describe_network_interfaces(
        NetworkInterfaceIds=[address["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert eni["InterfaceType"] == "nat_gateway" and eni["RequesterManaged"] is True
    assert eni["PrivateIpAddress"] == address["PrivateIp"] and eni["SubnetId"] == subnet
    assert eni["Groups"] == [] and eni["Status"] == "in-use"
    assert eni["Association"]["PublicIp"] == alloc["PublicIp"]
    assert code(ec2.delete_network_interface, NetworkInterfaceId=eni["NetworkInterfaceId"]) == \
        "InvalidNetworkInterface.InUse"
    eip = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
    assert eip["NetworkInterfaceId"] == eni["NetworkInterfaceId"]
    assert eip["PrivateIpAddress"] == address["PrivateIp"]
    assert code(ec2.release_address, AllocationId=alloc["AllocationId"]) == \
        "InvalidIPAddress.InUse"

    # Filters.
    def ids(**filters):
        return [g["NatGatewayId"] for g in ec2.describe_nat_gateways(
            Filter=[{"Name": k.replace("_", "-"), "Values": [v]} for k, v in filters.items()])[
            "NatGateways"]]
    assert ids(vpc_id=vpc) == [nat_id]
    assert ids(subnet_id=subnet, state="available") == [nat_id]
    assert ids(vpc_id=vpc, state="pending") == []
    assert nat_id in ids(**{"tag:Name": "egress"})
    assert ids(nat_gateway_id=nat_id) == [nat_id]
    assert code(ec2.describe_nat_gateways, NatGatewayIds=["nat-0123456789abcdef0"]) == \
        "NatGatewayNotFound"

    # Placed on a shard of SHARD live nodes, shown by `openvpc hyperplane`.
    view = fleet.hyperplane()
    [placed] = [g for g in view["nat_gateways"] if g["id"] == nat_id]
    assert len(placed["shard"]) == SHARD and set(placed["shard"]) <= set(fleet.live())

    # Routes through it: active while it is available.
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    ec2.replace_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0][
        "Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0"][0]
    assert route["NatGatewayId"] == nat_id and route["State"] == "active"
    assert ec2.describe_route_tables(Filters=[{"Name": "route.nat-gateway-id",
                                               "Values": [nat_id]}])["RouteTables"][0][
        "RouteTableId"] == table
    assert code(ec2.create_route, RouteTableId=table, DestinationCidrBlock="10.99.0.0/16",
                NatGatewayId="nat-0123456789abcdef0") == "InvalidNatGatewayID.NotFound"

    # Delete: deleting, then deleted (still describable); the route is a blackhole; the
    # interface is gone and the EIP is free again.
    assert ec2.delete_nat_gateway(NatGatewayId=nat_id)["NatGatewayId"] == nat_id
    assert nat(ec2, nat_id)["State"] in ("deleting", "deleted")
    ec2.get_waiter("nat_gateway_deleted").wait(
        NatGatewayIds=[nat_id], WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    assert "DeleteTime" in nat(ec2, nat_id)
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0][
        "Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0"][0]
    assert route["State"] == "blackhole"
    assert ec2.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"] == []
    ec2.release_address(AllocationId=alloc["AllocationId"])
    assert code(ec2.delete_nat_gateway, NatGatewayId="nat-0123456789abcdef0") == \
        "NatGatewayNotFound"


def query(fleet, action, **params):
    """A raw EC2 Query call (for parameters newer than the installed botocore knows)."""
    body = urllib.parse.urlencode(dict(Action=action, Version="2016-11-15", **params)).encode()
    status, text = signed_post(fleet.controller.endpoint + "/", body,
                               fleet.controller.credentials)
    return status, text


def test_private_nat_gateway_and_secondary_addresses(ec2, fleet):
    vpc, subnet = network(ec2, "10.42.0.0/16")
    status, text = query(fleet, "CreateNatGateway", SubnetId=subnet, ConnectivityType="private",
                         PrivateIpAddress="10.42.1.77", SecondaryPrivateIpAddressCount="2")
    assert status == 200, text
    private_id = re.search(r"<natGatewayId>(nat-[0-9a-f]+)<", text).group(1)
    private = nat(ec2, private_id)
    assert private["ConnectivityType"] == "private"
    addresses = private["NatGatewayAddresses"]
    assert addresses[0]["PrivateIp"] == "10.42.1.77" and len(addresses) == 3
    assert all("PublicIp" not in a for a in addresses)
    assert text.count("<isPrimary>true</isPrimary>") == 1

    first, second = (ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in range(2))
    status, text = query(fleet, "CreateNatGateway", SubnetId=subnet, AllocationId=first,
                         **{"SecondaryAllocationId.1": second})
    assert status == 200, text
    public_id = re.search(r"<natGatewayId>(nat-[0-9a-f]+)<", text).group(1)
    assert [a["AllocationId"] for a in nat(ec2, public_id)["NatGatewayAddresses"]] == \
        [first, second]
    assert code(ec2.create_nat_gateway, SubnetId=subnet, AllocationId=first) == \
        "Resource.AlreadyAssociated"
    assert code(ec2.create_nat_gateway, SubnetId=subnet, ConnectivityType="private",
                AllocationId=second) == "InvalidParameterCombination"
    assert code(ec2.create_nat_gateway, SubnetId="subnet-0123456789abcdef0",
                AllocationId=first) == "InvalidSubnetID.NotFound"
    for nat_id in (private_id, public_id):
        ec2.delete_nat_gateway(NatGatewayId=nat_id)


def raw_addresses(fleet, nat_id):
    """NatGatewayAddresses as the Query API answers them (Debian's botocore predates their
    status, association id and isPrimary fields, so boto3 drops them)."""
    status, text = query(fleet, "DescribeNatGateways", **{"NatGatewayId.1": nat_id})
    assert status == 200, text
    root = ET.fromstring(text)
    ns = {"ec2": root.tag.split("}")[0][1:]}
    return [{child.tag.split("}")[1]: child.text for child in item}
            for item in root.iterfind(".//ec2:natGatewayAddressSet/ec2:item", ns)]


def test_associate_and_disassociate_nat_gateway_addresses(ec2, fleet):
    """Newer than Debian's botocore, so sent as signed Query requests (the stock CLI lacks
    them)."""
    vpc, subnet = network(ec2, "10.43.0.0/16")
    first, second, third = (ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in range(3))
    nat_id = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=first)["NatGateway"][
        "NatGatewayId"]
    assert wait_until(lambda: nat(ec2, nat_id)["State"] == "available", 10)
    status, text = query(fleet, "AssociateNatGatewayAddress", NatGatewayId=nat_id,
                         **{"AllocationId.1": second, "AllocationId.2": third,
                            "PrivateIpAddress.1": "10.43.1.60"})
    assert status == 200, text
    assert text.count("<status>associating</status>") == 2, text
    assert "<privateIp>10.43.1.60</privateIp>" in text
    assert wait_until(lambda: all(a["status"] == "succeeded"
                                  for a in raw_addresses(fleet, nat_id)), 10)
    addresses = raw_addresses(fleet, nat_id)
    assert [a["allocationId"] for a in addresses] == [first, second, third]
    assert [a["isPrimary"] for a in addresses] == ["true", "false", "false"]
    public = {a["AllocationId"]: a for a in ec2.describe_addresses()["Addresses"]}
    assert public[second]["PrivateIpAddress"] == "10.43.1.60"
    status, text = query(fleet, "AssociateNatGatewayAddress", NatGatewayId=nat_id,
                         **{"AllocationId.1": second})
    assert status == 400 and "Resource.AlreadyAssociated" in text, text
    status, text = query(fleet, "DisassociateNatGatewayAddress", NatGatewayId=nat_id,
                         **{"AssociationId.1": addresses[0]["associationId"]})
    assert status == 400 and "InvalidParameterValue" in text, text
    status, text = query(fleet, "DisassociateNatGatewayAddress", NatGatewayId=nat_id,
                         **{"AssociationId.1": addresses[1]["associationId"]})
    assert status == 200 and "<status>disassociating</status>" in text, text
    assert wait_until(lambda: len(raw_addresses(fleet, nat_id)) == 2, 10)
    assert "AssociationId" not in {a["AllocationId"]: a for a in
                                   ec2.describe_addresses()["Addresses"]}[second]
    status, text = query(fleet, "DisassociateNatGatewayAddress", NatGatewayId=nat_id,
                         **{"AssociationId.1": "eipassoc-0123456789abcdef0"})
    assert status == 400 and "InvalidAssociationID.NotFound" in text, text
    status, text = query(fleet, "AssociateNatGatewayAddress", NatGatewayId=nat_id,
                         AllocationId=second, MaxDrainDurationSeconds="5")
    assert status == 400 and "UnknownParameter" in text, text
    ec2.delete_nat_gateway(NatGatewayId=nat_id)


def test_node_death_refills_shards(ec2, fleet):
    vpc, subnet = network(ec2, "10.43.0.0/16")
    ids = []
    for _ in range(3):
        alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ids.append(ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)["NatGateway"][
            "NatGatewayId"])
    ec2.get_waiter("nat_gateway_available").wait(
        NatGatewayIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 20})

    def shards():
        return {g["id"]: g["shard"] for g in fleet.hyperplane()["nat_gateways"] if g["id"] in ids}
    before = shards()
    victim = before[ids[0]][1]
    fleet.kill_node(victim)
    assert wait_until(lambda: victim not in fleet.live(), 20)
    assert wait_until(lambda: all(victim not in s for s in shards().values()), 10), shards()
    after = shards()
    for nat_id, shard in before.items():
        assert len(after[nat_id]) == SHARD
        # Survivors keep their slots; only the dead node's slot changed.
        for slot, node in enumerate(shard):
            if node != victim:
                assert after[nat_id][slot] == node
        assert nat(ec2, nat_id)["State"] == "available"
    view = {n["node_id"]: n for n in fleet.hyperplane()["nodes"]}
    assert victim not in view or not view[victim]["live"]
    table = fleet.hyperplane(as_json=False).splitlines()
    assert table[0].split() == ["NODE", "HEALTH", "RESOURCES", "NAT", "GATEWAYS"]
    for node_id, node in view.items():
        [row] = [line.split() for line in table[1:] if line.split()[0] == node_id]
        assert row[1] == ("live" if node["live"] else "dead")
        assert int(row[2]) == len(node["nat_gateways"])
    fleet.start_node(victim)  # it rejoins: live again, and new gateways may land on it
    assert wait_until(lambda: victim in fleet.live(), 20)
    assert shards() == after  # rejoining moves nothing


def test_controller_restart_keeps_shards(ec2, fleet):
    vpc, subnet = network(ec2, "10.44.0.0/16")
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat_id = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)["NatGateway"][
        "NatGatewayId"]
    ec2.get_waiter("nat_gateway_available").wait(
        NatGatewayIds=[nat_id], WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    assert wait_until(lambda: len(fleet.live()) == NODES, 20)

    def shard():
        [g] = [g for g in fleet.hyperplane()["nat_gateways"] if g["id"] == nat_id]
        return g["shard"]
    before = shard()
    fleet.controller.kill(signal.SIGTERM)
    fleet.controller.start()
    started = time.monotonic()
    restarted = fleet.controller.boto3()
    # Right after the start no node has resubscribed, yet nothing moved and nothing is pending.
    assert nat(restarted, nat_id)["State"] == "available"
    assert shard() == before
    assert wait_until(lambda: len(fleet.live()) == NODES, GRACE - 2), fleet.hyperplane()
    # Past the grace: the settled placement keeps a shard whose nodes are all back.
    time.sleep(max(0.0, started + GRACE + 1 - time.monotonic()))
    assert shard() == before
    assert nat(restarted, nat_id)["State"] == "available"
    restarted.delete_nat_gateway(NatGatewayId=nat_id)
