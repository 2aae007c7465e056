"""Elastic Load Balancing v2 (network load balancers, issue #13, API half) through boto3's
elbv2 client and the stock `aws elbv2` CLI against a real controller: load balancers with their
requester-managed interfaces and elastic IPs, target groups, targets and their health as the
model knows it, listeners, attributes, tags, ELB's error codes, the quota, other accounts, and
everything kept across a controller restart (SQLite and etcd stores)."""
import re

import pytest
from botocore.exceptions import ClientError

from api_fixtures import Controller, Etcd

ZONES = ("us-east-1a", "us-east-1b")


@pytest.fixture(scope="module")
def controller():
    c = Controller(extra_args=["--limit", "load_balancers_per_account=3",
                               "--limit", "elastic_ips_per_account=10",
                               "--limit", "vpcs_per_account=10"])
    yield c
    c.stop()


@pytest.fixture(scope="module")
def tenant(controller):
    _, credentials = controller.new_account("elb-tenant")
    return credentials


@pytest.fixture(scope="module")
def ec2(controller, tenant):
    return controller.boto3(tenant)


@pytest.fixture(scope="module")
def elb(controller, tenant):
    return controller.boto3(tenant, service="elbv2")


def code(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"]


def network(ec2, second_octet, igw=True):
    """A VPC 10.N.0.0/16 with one subnet per zone (and an attached internet gateway)."""
    vpc = ec2.create_vpc(CidrBlock=f"10.{second_octet}.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{second_octet}.{i + 1}.0/24",
                                 AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(ZONES)]
    if igw:
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    return vpc, subnets


def lb_interfaces(ec2, lb):
    arn_tail = "/".join(lb["LoadBalancerArn"].split("/")[-2:])
    return ec2.describe_network_interfaces(
        Filters=[{"Name": "description", "Values": [f"ELB net/{arn_tail}"]}])["NetworkInterfaces"]


def health(elb, tg_arn, **kwargs):
    answer = elb.describe_target_health(TargetGroupArn=tg_arn, **kwargs)
    return [(d["Target"]["Id"], d["TargetHealth"]["State"], d["TargetHealth"].get("Reason"))
            for d in answer["TargetHealthDescriptions"]]


def test_network_load_balancer_lifecycle(ec2, elb):
    vpc, subnets = network(ec2, 31)
    instance = ec2.run_instances(ImageId="ami-1", MinCount=1, MaxCount=1,
                                 SubnetId=subnets[0])["Instances"][0]["InstanceId"]

    tg = elb.create_target_group(Name="web", Protocol="TCP", Port=80, VpcId=vpc,
                                 TargetType="instance", HealthCheckProtocol="HTTP",
                                 HealthCheckPath="/healthz", HealthCheckIntervalSeconds=10,
                                 Tags=[{"Key": "team", "Value": "blue"}])["TargetGroups"][0]
    tg_arn = tg["TargetGroupArn"]
    assert re.fullmatch(r"arn:aws:elasticloadbalancing:us-east-1:\d{12}:targetgroup/web/"
                        r"[0-9a-f]{16}", tg_arn)
    assert (tg["Protocol"], tg["Port"], tg["VpcId"], tg["TargetType"]) == \
        ("TCP", 80, vpc, "instance")
    assert (tg["HealthCheckProtocol"], tg["HealthCheckPath"], tg["HealthCheckPort"],
            tg["HealthCheckIntervalSeconds"], tg["Matcher"]["HttpCode"]) == \
        ("HTTP", "/healthz", "traffic-port", 10, "200-399")
    assert tg["LoadBalancerArns"] == []

    lb = elb.create_load_balancer(Name="front", Type="network", Scheme="internet-facing",
                                  Subnets=subnets)["LoadBalancers"][0]
    lb_arn = lb["LoadBalancerArn"]
    lb_id = lb_arn.split("/")[-1]
    assert re.fullmatch(r"arn:aws:elasticloadbalancing:us-east-1:\d{12}:loadbalancer/net/front/"
                        r"[0-9a-f]{16}", lb_arn)
    assert lb["DNSName"] == f"front-{lb_id}.elb.us-east-1.amazonaws.com"
    # No hyperplane node runs here: it stays provisioning (active once placed on a live node,
    # as a NAT gateway stays pending).
    assert (lb["Type"], lb["Scheme"], lb["VpcId"], lb["State"]["Code"]) == \
        ("network", "internet-facing", vpc, "provisioning")
    zones = {z["ZoneName"]: z for z in lb["AvailabilityZones"]}
    assert sorted(zones) == list(ZONES)
    assert [zones[z]["SubnetId"] for z in ZONES] == subnets
    for zone in ZONES:
        address = zones[zone]["LoadBalancerAddresses"][0]
        assert address["IpAddress"].startswith("198.51.100.")  # a public address each
        assert address["PrivateIPv4Address"].startswith("10.31.")

    # One requester-managed interface per subnet, holding those addresses.
    enis = lb_interfaces(ec2, lb)
    assert sorted(e["SubnetId"] for e in enis) == sorted(subnets)
    for eni in enis:
        assert eni["InterfaceType"] == "network_load_balancer"
        assert eni["RequesterManaged"] is True
        assert eni["Groups"] == []
        assert code(ec2.delete_network_interface,
                    NetworkInterfaceId=eni["NetworkInterfaceId"]) == \
            "InvalidNetworkInterface.InUse"
    described = elb.describe_load_balancers(Names=["front"])["LoadBalancers"]
    assert [d["LoadBalancerArn"] for d in described] == [lb_arn]

    # Registered but no listener: unused / Target.NotInUse.
    elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": instance}])
    assert health(elb, tg_arn) == [(instance, "unused", "Target.NotInUse")]
    assert code(elb.register_targets, TargetGroupArn=tg_arn,
                Targets=[{"Id": "i-00000000000000000"}]) == "InvalidTarget"

    listener = elb.create_listener(
        LoadBalancerArn=lb_arn, Protocol="TCP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])["Listeners"][0]
    listener_arn = listener["ListenerArn"]
    assert listener_arn.startswith(lb_arn.replace(":loadbalancer/", ":listener/") + "/")
    assert listener["DefaultActions"][0]["TargetGroupArn"] == tg_arn
    assert code(elb.create_listener, LoadBalancerArn=lb_arn, Protocol="TCP", Port=80,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}]) == \
        "DuplicateListener"
    assert [l["ListenerArn"] for l in
            elb.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]] == [listener_arn]
    assert elb.describe_target_groups(LoadBalancerArn=lb_arn)["TargetGroups"][0][
        "LoadBalancerArns"] == [lb_arn]

    # In use: initial until the nodes' health checks report; deleting the group is refused.
    assert health(elb, tg_arn) == [(instance, "initial", "Elb.RegistrationInProgress")]
    assert health(elb, tg_arn, Targets=[{"Id": instance, "Port": 81}]) == \
        [(instance, "unused", "Target.NotRegistered")]
    assert code(elb.delete_target_group, TargetGroupArn=tg_arn) == "ResourceInUse"

    # Attributes.
    attributes = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(
        TargetGroupArn=tg_arn)["Attributes"]}
    assert attributes["deregistration_delay.timeout_seconds"] == "300"
    assert attributes["preserve_client_ip.enabled"] == "true"
    assert attributes["stickiness.enabled"] == "false"
    changed = {a["Key"]: a["Value"] for a in elb.modify_target_group_attributes(
        TargetGroupArn=tg_arn,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "120"},
                    {"Key": "stickiness.enabled", "Value": "true"}])["Attributes"]}
    assert (changed["deregistration_delay.timeout_seconds"], changed["stickiness.enabled"]) == \
        ("120", "true")
    assert code(elb.modify_target_group_attributes, TargetGroupArn=tg_arn,
                Attributes=[{"Key": "stickiness.type", "Value": "lb_cookie"}]) == "ValidationError"

    modified = elb.modify_target_group(TargetGroupArn=tg_arn, HealthCheckProtocol="TCP",
                                       HealthyThresholdCount=3)["TargetGroups"][0]
    assert (modified["HealthCheckProtocol"], modified["HealthyThresholdCount"],
            "HealthCheckPath" in modified) == ("TCP", 3, False)
    moved = elb.modify_listener(ListenerArn=listener_arn, Port=8080)["Listeners"][0]
    assert (moved["Port"], moved["DefaultActions"][0]["TargetGroupArn"]) == (8080, tg_arn)

    # Deregistering a target of a group in use drains it.
    elb.deregister_targets(TargetGroupArn=tg_arn, Targets=[{"Id": instance}])
    assert health(elb, tg_arn) == [(instance, "draining", "Target.DeregistrationInProgress")]

    # Tags on all three kinds.
    elb.add_tags(ResourceArns=[lb_arn, listener_arn], Tags=[{"Key": "env", "Value": "prod"}])
    elb.remove_tags(ResourceArns=[tg_arn], TagKeys=["team"])
    tags = {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]} for d in
            elb.describe_tags(ResourceArns=[lb_arn, tg_arn, listener_arn])["TagDescriptions"]}
    assert tags == {lb_arn: {"env": "prod"}, tg_arn: {}, listener_arn: {"env": "prod"}}

    # Deletion protection.
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=lb_arn, Attributes=[{"Key": "deletion_protection.enabled",
                                             "Value": "true"}])
    lb_attributes = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(
        LoadBalancerArn=lb_arn)["Attributes"]}
    assert lb_attributes == {"deletion_protection.enabled": "true",
                             "load_balancing.cross_zone.enabled": "false"}
    assert code(elb.delete_load_balancer, LoadBalancerArn=lb_arn) == "OperationNotPermitted"
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=lb_arn, Attributes=[{"Key": "deletion_protection.enabled",
                                             "Value": "false"}])

    # Deleting the load balancer takes its listeners and interfaces; then the group can go.
    elb.delete_load_balancer(LoadBalancerArn=lb_arn)
    elb.delete_load_balancer(LoadBalancerArn=lb_arn)  # gone already: still succeeds
    assert code(elb.describe_load_balancers, LoadBalancerArns=[lb_arn]) == "LoadBalancerNotFound"
    assert code(elb.describe_listeners, ListenerArns=[listener_arn]) == "ListenerNotFound"
    assert lb_interfaces(ec2, lb) == []
    elb.delete_target_group(TargetGroupArn=tg_arn)
    assert code(elb.describe_target_groups, TargetGroupArns=[tg_arn]) == "TargetGroupNotFound"


def test_subnet_mappings_with_elastic_ip_and_private_address(ec2, elb):
    vpc, subnets = network(ec2, 32)
    eip = ec2.allocate_address(Domain="vpc")
    lb = elb.create_load_balancer(
        Name="mapped", Type="network",
        SubnetMappings=[{"SubnetId": subnets[0], "AllocationId": eip["AllocationId"],
                         "PrivateIPv4Address": "10.32.1.50"}])["LoadBalancers"][0]
    address = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]
    assert address == {"IpAddress": eip["PublicIp"], "AllocationId": eip["AllocationId"],
                       "PrivateIPv4Address": "10.32.1.50"}
    (eni,) = lb_interfaces(ec2, lb)
    assert eni["PrivateIpAddress"] == "10.32.1.50"
    described = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    assert described["NetworkInterfaceId"] == eni["NetworkInterfaceId"]
    # The elastic IP is taken now.
    assert code(elb.create_load_balancer, Name="mapped2", Type="network",
                SubnetMappings=[{"SubnetId": subnets[1],
                                 "AllocationId": eip["AllocationId"]}]) == \
        "InvalidConfigurationRequest"
    # An internal one needs no internet gateway and gets no public address.
    internal = elb.create_load_balancer(Name="inside", Type="network", Scheme="internal",
                                        Subnets=[subnets[1]])["LoadBalancers"][0]
    assert "IpAddress" not in internal["AvailabilityZones"][0]["LoadBalancerAddresses"][0]

    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    elb.delete_load_balancer(LoadBalancerArn=internal["LoadBalancerArn"])
    described = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    assert "NetworkInterfaceId" not in described and "AssociationId" not in described
    ec2.release_address(AllocationId=eip["AllocationId"])


def test_errors_through_the_aws_cli(controller, ec2, elb, tenant):
    env = controller.aws_env(tenant)
    vpc, subnets = network(ec2, 33)
    bare_vpc, bare_subnets = network(ec2, 34, igw=False)

    def error(*args):
        return controller.aws_error(*args, env=env, service="elbv2")

    def ok(*args):
        return controller.aws_ok(*args, env=env, service="elbv2")

    assert error("create-load-balancer", "--name", "alb", "--subnets", subnets[0]) == \
        "InvalidConfigurationRequest"  # ELB's default type, application
    assert error("create-load-balancer", "--name", "gw", "--type", "gateway",
                 "--subnets", subnets[0]) == "InvalidConfigurationRequest"
    assert error("create-load-balancer", "--name", "bad-", "--type", "network",
                 "--subnets", subnets[0]) == "ValidationError"
    assert error("create-load-balancer", "--name", "nosub", "--type", "network",
                 "--subnets", "subnet-0123456789abcdef0") == "SubnetNotFound"
    assert error("create-load-balancer", "--name", "same-zone", "--type", "network",
                 "--subnets", subnets[0], subnets[0]) == "InvalidConfigurationRequest"
    assert error("create-load-balancer", "--name", "noigw", "--type", "network",
                 "--subnets", bare_subnets[0]) == "InvalidSubnet"
    assert error("create-load-balancer", "--name", "noeip", "--type", "network",
                 "--subnet-mappings",
                 f"SubnetId={subnets[0]},AllocationId=eipalloc-0123456789abcdef0") == \
        "AllocationIdNotFound"
    assert error("create-load-balancer", "--name", "sg", "--type", "network",
                 "--subnets", subnets[0], "--security-groups", "sg-1") == "ValidationError"

    arns = [ok("create-load-balancer", "--name", f"quota{i}", "--type", "network",
               "--scheme", "internal", "--subnets", subnets[0])["LoadBalancers"][0][
                   "LoadBalancerArn"] for i in range(3)]
    assert error("create-load-balancer", "--name", "quota0", "--type", "network",
                 "--scheme", "internal", "--subnets", subnets[1]) == "DuplicateLoadBalancerName"
    assert error("create-load-balancer", "--name", "quota3", "--type", "network",
                 "--scheme", "internal", "--subnets", subnets[1]) == "TooManyLoadBalancers"
    assert error("describe-load-balancers", "--names", "nothere") == "LoadBalancerNotFound"
    # boto3's paginator walks them with PageSize and Marker/NextMarker.
    pages = list(elb.get_paginator("describe_load_balancers").paginate(
        PaginationConfig={"PageSize": 1}))
    assert len(pages) == 3
    assert sorted(p["LoadBalancers"][0]["LoadBalancerArn"] for p in pages) == sorted(arns)

    tg = ok("create-target-group", "--name", "udp", "--protocol", "UDP", "--port", "53",
            "--vpc-id", vpc, "--target-type", "ip")["TargetGroups"][0]["TargetGroupArn"]
    assert error("create-target-group", "--name", "udp", "--protocol", "UDP", "--port", "53",
                 "--vpc-id", vpc) == "DuplicateTargetGroupName"
    assert error("create-target-group", "--name", "http", "--protocol", "HTTP", "--port", "80",
                 "--vpc-id", vpc) == "InvalidConfigurationRequest"
    assert error("create-target-group", "--name", "slow", "--protocol", "TCP", "--port", "80",
                 "--vpc-id", vpc, "--health-check-interval-seconds", "301") == "ValidationError"
    # ip targets must lie in a subnet of the group's VPC.
    ok("register-targets", "--target-group-arn", tg, "--targets", "Id=10.33.1.10")
    assert error("register-targets", "--target-group-arn", tg, "--targets",
                 "Id=10.34.1.10") == "InvalidTarget"
    assert error("create-listener", "--load-balancer-arn", arns[0], "--protocol", "TCP",
                 "--port", "53", "--default-actions", f"Type=forward,TargetGroupArn={tg}") == \
        "IncompatibleProtocols"
    listener = ok("create-listener", "--load-balancer-arn", arns[0], "--protocol", "UDP",
                  "--port", "53", "--default-actions",
                  f"Type=forward,TargetGroupArn={tg}")["Listeners"][0]["ListenerArn"]
    assert error("create-listener", "--load-balancer-arn", arns[1], "--protocol", "UDP",
                 "--port", "53", "--default-actions",
                 f"Type=forward,TargetGroupArn={tg}") == "TargetGroupAssociationLimit"
    assert error("delete-target-group", "--target-group-arn", tg) == "ResourceInUse"
    ok("delete-listener", "--listener-arn", listener)
    assert error("delete-listener", "--listener-arn", listener) == "ListenerNotFound"
    assert error("describe-target-health", "--target-group-arn", tg + "0") == \
        "TargetGroupNotFound"
    ok("delete-target-group", "--target-group-arn", tg)
    for arn in arns:
        ok("delete-load-balancer", "--load-balancer-arn", arn)


def test_other_accounts_see_nothing(controller, ec2, elb):
    vpc, subnets = network(ec2, 35)
    lb_arn = elb.create_load_balancer(Name="private", Type="network", Scheme="internal",
                                      Subnets=[subnets[0]])["LoadBalancers"][0][
                                          "LoadBalancerArn"]
    _, stranger = controller.new_account("elb-stranger")
    other = controller.boto3(stranger, service="elbv2")
    assert other.describe_load_balancers()["LoadBalancers"] == []
    assert code(other.describe_load_balancers, LoadBalancerArns=[lb_arn]) == \
        "LoadBalancerNotFound"
    assert code(other.describe_tags, ResourceArns=[lb_arn]) == "LoadBalancerNotFound"
    other.delete_load_balancer(LoadBalancerArn=lb_arn)  # not theirs: nothing happens
    assert elb.describe_load_balancers(LoadBalancerArns=[lb_arn])["LoadBalancers"]
    elb.delete_load_balancer(LoadBalancerArn=lb_arn)


def test_everything_survives_a_controller_restart(controller, ec2, elb, tenant):
    survives_restart(controller, ec2, elb, tenant, 36)


def test_everything_survives_a_restart_on_etcd():
    etcd = Etcd()
    try:
        c = Controller(store="etcd", etcd_endpoint=etcd.endpoint)
        try:
            _, credentials = c.new_account("elb-etcd")
            survives_restart(c, c.boto3(credentials), c.boto3(credentials, service="elbv2"),
                             credentials, 37)
        finally:
            c.stop()
    finally:
        etcd.stop()


def survives_restart(controller, ec2, elb, tenant, second_octet):
    vpc, subnets = network(ec2, second_octet)
    instance = ec2.run_instances(ImageId="ami-1", MinCount=1, MaxCount=1,
                                 SubnetId=subnets[1])["Instances"][0]["InstanceId"]
    tg_arn = elb.create_target_group(Name="kept", Protocol="TCP_UDP", Port=53, VpcId=vpc)[
        "TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": instance, "Port": 5353}])
    elb.modify_target_group_attributes(
        TargetGroupArn=tg_arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds",
                                            "Value": "7"}])
    lb = elb.create_load_balancer(Name="kept", Type="network", Subnets=subnets,
                                  Tags=[{"Key": "k", "Value": "v"}])["LoadBalancers"][0]
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Attributes=[{"Key": "load_balancing.cross_zone.enabled", "Value": "true"}])
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP_UDP", Port=53,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])["Listeners"][0]
    # Tags added to existing resources (AddTags) are written to the store like any change.
    arns = [lb["LoadBalancerArn"], tg_arn, listener["ListenerArn"]]
    elb.add_tags(ResourceArns=arns, Tags=[{"Key": "added", "Value": "later"}])

    def snapshot(client):
        return (client.describe_load_balancers(Names=["kept"])["LoadBalancers"],
                client.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"],
                client.describe_target_groups(Names=["kept"])["TargetGroups"],
                client.describe_target_health(TargetGroupArn=tg_arn)[
                    "TargetHealthDescriptions"],
                client.describe_load_balancer_attributes(
                    LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"],
                client.describe_target_group_attributes(TargetGroupArn=tg_arn)["Attributes"],
                client.describe_tags(ResourceArns=arns)["TagDescriptions"])

    before = snapshot(elb)
    assert [{t["Key"] for t in d["Tags"]} for d in before[6]] == [{"k", "added"}, {"added"},
                                                                  {"added"}]
    assert before[1] == [listener]
    assert before[3][0]["Target"] == {"Id": instance, "Port": 5353,
                                      "AvailabilityZone": "us-east-1b"}
    controller.kill()
    controller.start()
    after = snapshot(controller.boto3(tenant, service="elbv2"))
    assert after == before
