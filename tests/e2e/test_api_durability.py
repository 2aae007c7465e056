"""kill -9 of the controller during a burst of mutations: after a restart every mutation whose
response arrived is present, and none is half-applied (each is one store transaction)."""
import concurrent.futures
import signal
import threading
import time

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from api_fixtures import Controller, Etcd


@pytest.fixture(params=["sqlite", "etcd"])
def controller(request):
    etcd = Etcd() if request.param == "etcd" else None
    c = Controller(store=request.param, etcd_endpoint=etcd.endpoint if etcd else None,
                   extra_args=["--limit", "vpcs_per_account=10000",
                               "--limit", "instances_per_account=10000"])
    yield c
    c.stop()
    if etcd:
        etcd.stop()


def burst(ec2, stop, index):
    """Creates VPCs (4 resources each) and instances (instance + interface) until stopped or
    the controller dies; returns what was acknowledged."""
    acknowledged = {"vpcs": [], "instances": []}
    subnet = None
    try:
        while not stop.is_set():
            vpc = ec2.create_vpc(CidrBlock=f"10.{index}.0.0/16")["Vpc"]["VpcId"]
            acknowledged["vpcs"].append(vpc)
            if subnet is None:
                subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{index}.0.0/20")[
                    "Subnet"]["SubnetId"]
            out = ec2.run_instances(ImageId="ami-1", MinCount=1, MaxCount=1, SubnetId=subnet)
            acknowledged["instances"].append(out["Instances"][0]["InstanceId"])
    except (BotoCoreError, ClientError, ResponseParserError, OSError):
        # The controller died under us (mid-response, the body can be empty: not an
        # acknowledgement): what was acknowledged so far counts.
        pass
    return acknowledged


def test_kill_9_during_burst_loses_nothing_acknowledged(controller):
    stop = threading.Event()
    # Clients are made here, one by one: botocore's session is not safe to build clients from
    # several threads at once (it raised KeyError: 'endpoint_resolver' once).
    clients = [controller.boto3() for _ in range(4)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(burst, clients[i], stop, i) for i in range(4)]
        time.sleep(3)
        controller.kill(signal.SIGKILL)
        stop.set()
        results = [f.result(timeout=60) for f in futures]
    vpcs = [v for r in results for v in r["vpcs"]]
    instances = [i for r in results for i in r["instances"]]
    assert len(vpcs) > 5, "the burst made too little progress to mean anything"

    controller.start()
    ec2 = controller.boto3()
    present = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    assert set(vpcs) <= present
    reservations = ec2.describe_instances()["Reservations"]
    running = {i["InstanceId"]: i for r in reservations for i in r["Instances"]}
    assert set(instances) <= set(running)
    # Nothing half-applied: every VPC has its three defaults, every default has its VPC, every
    # instance its interface.
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]}])
    acls = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}])
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])
    assert sorted(t["VpcId"] for t in tables["RouteTables"]) == sorted(present)
    assert sorted(a["VpcId"] for a in acls["NetworkAcls"]) == sorted(present)
    assert sorted(g["VpcId"] for g in groups["SecurityGroups"]) == sorted(present)
    interfaces = ec2.describe_network_interfaces()["NetworkInterfaces"]
    attached = {i["Attachment"]["InstanceId"] for i in interfaces if "Attachment" in i}
    assert attached == set(running)
    for instance in running.values():
        assert len(instance["NetworkInterfaces"]) == 1
