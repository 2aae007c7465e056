"""Racing clients: 8 clients create conflicting subnets and claim the same private IPs at
once; the invariants hold (no overlapping subnets, no address twice, every success visible).
With etcd, the clients are split between TWO controllers sharing one etcd, so the store's
optimistic transactions, not a process mutex, keep the invariants."""
import concurrent.futures
import ipaddress
import random
import threading

import pytest
from botocore.exceptions import ClientError

from api_fixtures import REGION, Controller, Etcd

CLIENTS = 8


@pytest.fixture(params=["sqlite", "etcd"])
def endpoints(request):
    if request.param == "sqlite":
        c = Controller()
        yield [c]
        c.stop()
        return
    etcd = Etcd()
    first = Controller(store="etcd", etcd_endpoint=etcd.endpoint)
    second = Controller(store="etcd", etcd_endpoint=etcd.endpoint)
    assert second.credentials == first.credentials  # one region, one admin key
    yield [first, second]
    first.stop()
    second.stop()
    etcd.stop()


def race(controllers, work):
    """Runs work(client, index) on CLIENTS threads released together; returns their results."""
    clients = [controllers[i % len(controllers)].boto3() for i in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS)

    def run(i):
        barrier.wait(timeout=30)
        return work(clients[i], i)
    with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(run, range(CLIENTS)))


def test_conflicting_subnets_and_addresses(endpoints):
    admin = endpoints[0].boto3()
    vpc = admin.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # Every client tries the same conflicting CIDRs (a /24 and its two /25 halves), shuffled.
    cidrs = [f"10.0.{i}.0/24" for i in range(6)] + [f"10.0.{i}.0/25" for i in range(6)] + \
            [f"10.0.{i}.128/25" for i in range(6)]

    def create_subnets(client, index):
        won = []
        order = cidrs[:]
        random.Random(index).shuffle(order)
        for cidr in order:
            try:
                won.append(client.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"])
            except ClientError as e:
                assert e.response["Error"]["Code"] == "InvalidSubnet.Conflict", e
        return won
    won = [s for result in race(endpoints, create_subnets) for s in result]
    subnets = admin.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    assert sorted(s["SubnetId"] for s in subnets) == sorted(won)
    networks = [ipaddress.ip_network(s["CidrBlock"]) for s in subnets]
    for i, a in enumerate(networks):
        for b in networks[i + 1:]:
            assert not a.overlaps(b), (a, b)
    covered = sum(n.num_addresses for n in networks)
    assert covered == 6 * 256  # the space is fully used: no lost update either

    subnet = min(subnets, key=lambda s: s["CidrBlock"])
    base = ipaddress.ip_network(subnet["CidrBlock"]).network_address
    addresses = [str(base + 4 + i) for i in range(10)]

    def claim(client, index):
        won = []
        order = addresses[:]
        random.Random(100 + index).shuffle(order)
        for ip in order:
            try:
                client.create_network_interface(SubnetId=subnet["SubnetId"], PrivateIpAddress=ip)
                won.append(ip)
            except ClientError as e:
                assert e.response["Error"]["Code"] == "InvalidIPAddress.InUse", e
        return won
    claimed = [ip for result in race(endpoints, claim) for ip in result]
    assert sorted(claimed) == sorted(addresses)  # each address exactly once
    interfaces = admin.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [subnet["SubnetId"]]}])["NetworkInterfaces"]
    assert sorted(i["PrivateIpAddress"] for i in interfaces) == sorted(addresses)


def test_more_clients_than_pool_threads_all_get_answers():
    """SDK clients keep their connection open between calls. cpp-httplib serves a kept-alive
    connection on one pool thread (8 by default), so a ninth client's call waited for an idle
    connection to time out (5 s): with 24 clients each holding a connection, every call must
    still be answered inside botocore's 3-second read timeout."""
    import boto3
    from botocore.config import Config
    controller = Controller()
    try:
        key, secret = controller.credentials
        config = Config(retries={"total_max_attempts": 1}, read_timeout=3, connect_timeout=3)
        clients = [boto3.client("ec2", endpoint_url=controller.endpoint, region_name=REGION,
                                aws_access_key_id=key, aws_secret_access_key=secret,
                                config=config) for _ in range(24)]
        for _ in range(2):  # the second round runs while all 24 connections are open
            for client in clients:
                assert client.describe_vpcs()["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        controller.stop()
