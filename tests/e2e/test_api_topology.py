"""Builds a two-tier VPC through the stock AWS CLI, reads it back with filters and pagination
(AWS CLI and boto3), and deletes it in dependency order."""
import json

import pytest

from api_fixtures import Controller


@pytest.fixture(scope="module")
def controller():
    c = Controller()
    yield c
    c.stop()


def tags(resource_type, **pairs):
    spec = ",".join(f"{{Key={k},Value={v}}}" for k, v in pairs.items())
    return ["--tag-specifications", f"ResourceType={resource_type},Tags=[{spec}]"]


def build(c):
    """The topology; returns a dict of ids."""
    t = {}
    t["vpc"] = c.aws_ok("create-vpc", "--cidr-block", "10.0.0.0/16",
                        *tags("vpc", Name="two-tier"))["Vpc"]["VpcId"]
    c.aws_ok("modify-vpc-attribute", "--vpc-id", t["vpc"], "--enable-dns-hostnames",
             '{"Value":true}')
    for tier, cidr, zone in (("web", "10.0.1.0/24", "us-east-1a"),
                             ("db", "10.0.2.0/24", "us-east-1b")):
        t[tier] = c.aws_ok("create-subnet", "--vpc-id", t["vpc"], "--cidr-block", cidr,
                           "--availability-zone", zone,
                           *tags("subnet", Tier=tier))["Subnet"]["SubnetId"]
    t["igw"] = c.aws_ok("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    c.aws_ok("attach-internet-gateway", "--internet-gateway-id", t["igw"], "--vpc-id", t["vpc"])
    t["rtb"] = c.aws_ok("create-route-table", "--vpc-id", t["vpc"])["RouteTable"]["RouteTableId"]
    c.aws_ok("create-route", "--route-table-id", t["rtb"], "--destination-cidr-block",
             "0.0.0.0/0", "--gateway-id", t["igw"])
    t["rtbassoc"] = c.aws_ok("associate-route-table", "--route-table-id", t["rtb"],
                             "--subnet-id", t["web"])["AssociationId"]
    for tier in ("web", "db"):
        t[tier + "-sg"] = c.aws_ok("create-security-group", "--group-name", tier,
                                   "--description", f"{tier} tier", "--vpc-id",
                                   t["vpc"])["GroupId"]
    c.aws_ok("authorize-security-group-ingress", "--group-id", t["web-sg"], "--protocol", "tcp",
             "--port", "80", "--cidr", "0.0.0.0/0")
    c.aws_ok("authorize-security-group-ingress", "--group-id", t["db-sg"], "--ip-permissions",
             json.dumps([{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                          "UserIdGroupPairs": [{"GroupId": t["web-sg"]}]}]))
    c.aws_ok("authorize-security-group-egress", "--group-id", t["web-sg"], "--ip-permissions",
             json.dumps([{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                          "UserIdGroupPairs": [{"GroupId": t["db-sg"]}]}]))
    t["acl"] = c.aws_ok("create-network-acl", "--vpc-id", t["vpc"])["NetworkAcl"]["NetworkAclId"]
    for egress, ports, cidr in (("--ingress", "From=5432,To=5432", "10.0.1.0/24"),
                                ("--egress", "From=1024,To=65535", "10.0.1.0/24")):
        c.aws_ok("create-network-acl-entry", "--network-acl-id", t["acl"], "--rule-number", "100",
                 egress, "--protocol", "tcp", "--port-range", ports, "--cidr-block", cidr,
                 "--rule-action", "allow")
    default_acl = c.aws_ok("describe-network-acls", "--filters",
                           f"Name=association.subnet-id,Values={t['db']}")["NetworkAcls"][0]
    association = [a for a in default_acl["Associations"] if a["SubnetId"] == t["db"]][0]
    t["aclassoc"] = c.aws_ok("replace-network-acl-association", "--association-id",
                             association["NetworkAclAssociationId"], "--network-acl-id",
                             t["acl"])["NewAssociationId"]
    for tier, ip, host in (("web", "10.0.1.10", "host-a"), ("db", "10.0.2.10", "host-b")):
        out = c.aws_ok("run-instances", "--image-id", "ami-12345678", "--subnet-id", t[tier],
                       "--private-ip-address", ip, "--security-group-ids", t[tier + "-sg"],
                       "--placement", f"HostId={host}", *tags("instance", Role=tier))
        t[tier + "-i"] = out["Instances"][0]["InstanceId"]
    eni = c.aws_ok("create-network-interface", "--subnet-id", t["db"], "--private-ip-address",
                   "10.0.2.50", "--groups", t["db-sg"])["NetworkInterface"]
    t["eni"] = eni["NetworkInterfaceId"]
    c.aws_ok("modify-network-interface-attribute", "--network-interface-id", t["eni"],
             "--no-source-dest-check")
    c.aws_ok("assign-private-ip-addresses", "--network-interface-id", t["eni"],
             "--secondary-private-ip-address-count", "1")
    t["attach"] = c.aws_ok("attach-network-interface", "--network-interface-id", t["eni"],
                           "--instance-id", t["db-i"], "--device-index", "1")["AttachmentId"]
    t["eip"] = c.aws_ok("allocate-address", "--domain", "vpc")["AllocationId"]
    t["eipassoc"] = c.aws_ok("associate-address", "--allocation-id", t["eip"], "--instance-id",
                             t["web-i"])["AssociationId"]
    t["dopt"] = c.aws_ok("create-dhcp-options", "--dhcp-configurations",
                         "Key=domain-name,Values=corp.internal",
                         "Key=domain-name-servers,Values=AmazonProvidedDNS"
                         )["DhcpOptions"]["DhcpOptionsId"]
    c.aws_ok("associate-dhcp-options", "--dhcp-options-id", t["dopt"], "--vpc-id", t["vpc"])
    c.aws_ok("create-tags", "--resources", t["web-sg"], t["db-sg"], "--tags", "Key=App,Value=shop")
    t["fl"] = c.aws_ok("create-flow-logs", "--resource-type", "VPC", "--resource-ids", t["vpc"],
                       "--traffic-type", "ALL", "--log-destination",
                       "flows.log")["FlowLogIds"][0]
    return t


def read_back(c, t):
    ec2 = c.boto3()
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["two-tier"]}])["Vpcs"]
    assert [v["VpcId"] for v in vpc] == [t["vpc"]]
    assert ec2.describe_vpc_attribute(VpcId=t["vpc"], Attribute="enableDnsHostnames")[
        "EnableDnsHostnames"]["Value"] is True
    db = ec2.describe_subnets(Filters=[{"Name": "tag:Tier", "Values": ["db"]}])["Subnets"]
    assert [s["SubnetId"] for s in db] == [t["db"]]
    assert db[0]["AvailabilityZone"] == "us-east-1b"
    # 251 usable, minus the db instance, the extra ENI and its secondary address.
    assert db[0]["AvailableIpAddressCount"] == 251 - 3
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [t["web"]]}])["RouteTables"]
    assert [r["RouteTableId"] for r in tables] == [t["rtb"]]
    routes = {r["DestinationCidrBlock"]: r.get("GatewayId") for r in tables[0]["Routes"]}
    assert routes == {"10.0.0.0/16": "local", "0.0.0.0/0": t["igw"]}
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [t["vpc"]]},
                                              {"Name": "association.main", "Values": ["true"]}])
    assert len(main["RouteTables"]) == 1
    db_sg = ec2.describe_security_groups(GroupIds=[t["db-sg"]])["SecurityGroups"][0]
    assert db_sg["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == t["web-sg"]
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [t["web-sg"]]}])["SecurityGroupRules"]
    assert len(rules) == 3  # default egress, port 80 in, 5432 out to db
    acl = ec2.describe_network_acls(NetworkAclIds=[t["acl"]])["NetworkAcls"][0]
    numbers = sorted((e["Egress"], e["RuleNumber"]) for e in acl["Entries"])
    assert numbers == [(False, 100), (False, 32767), (True, 100), (True, 32767)]
    on_b = ec2.describe_instances(Filters=[{"Name": "host-id", "Values": ["host-b"]}])
    instances = [i for r in on_b["Reservations"] for i in r["Instances"]]
    assert [i["InstanceId"] for i in instances] == [t["db-i"]]
    assert len(instances[0]["NetworkInterfaces"]) == 2
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[t["eni"]])["NetworkInterfaces"][0]
    assert eni["SourceDestCheck"] is False and len(eni["PrivateIpAddresses"]) == 2
    assert eni["Attachment"]["InstanceId"] == t["db-i"]
    address = ec2.describe_addresses(AllocationIds=[t["eip"]])["Addresses"][0]
    assert address["InstanceId"] == t["web-i"] and address["PrivateIpAddress"] == "10.0.1.10"
    web = ec2.describe_instances(InstanceIds=[t["web-i"]])["Reservations"][0]["Instances"][0]
    assert web["PublicIpAddress"] == address["PublicIp"]
    assert web["Placement"]["HostId"] == "host-a"
    dopt = ec2.describe_dhcp_options(DhcpOptionsIds=[t["dopt"]])["DhcpOptions"][0]
    assert {c["Key"] for c in dopt["DhcpConfigurations"]} == {"domain-name", "domain-name-servers"}
    tagged = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["App"]}])["Tags"]
    assert sorted(x["ResourceId"] for x in tagged) == sorted([t["web-sg"], t["db-sg"]])
    logs = ec2.describe_flow_logs(FlowLogIds=[t["fl"]])["FlowLogs"]
    assert logs[0]["ResourceId"] == t["vpc"] and logs[0]["LogDestination"].endswith("flows.log")
    assert len(ec2.describe_availability_zones()["AvailabilityZones"]) == 3


def paginate(c, t):
    ec2 = c.boto3()
    extra = [ec2.create_security_group(GroupName=f"extra-{i}", Description="x",
                                       VpcId=t["vpc"])["GroupId"] for i in range(6)]
    pages = list(ec2.get_paginator("describe_security_groups").paginate(
        Filters=[{"Name": "vpc-id", "Values": [t["vpc"]]}], PaginationConfig={"PageSize": 5}))
    ids = [g["GroupId"] for p in pages for g in p["SecurityGroups"]]
    assert len(pages) == 2 and len(ids) == 9 and len(set(ids)) == 9
    # The AWS CLI follows NextToken itself; --max-items stops early and hands out a token.
    listed = c.aws_ok("describe-security-groups", "--filters", f"Name=vpc-id,Values={t['vpc']}",
                      "--page-size", "5")
    assert len(listed["SecurityGroups"]) == 9
    first = c.aws_ok("describe-security-groups", "--page-size", "5", "--max-items", "4")
    assert len(first["SecurityGroups"]) == 4 and first["NextToken"]
    for group in extra:
        ec2.delete_security_group(GroupId=group)


def tear_down(c, t):
    c.aws_ok("delete-flow-logs", "--flow-log-ids", t["fl"])
    c.aws_ok("disassociate-address", "--association-id", t["eipassoc"])
    c.aws_ok("release-address", "--allocation-id", t["eip"])
    c.aws_ok("detach-network-interface", "--attachment-id", t["attach"])
    c.aws_ok("delete-network-interface", "--network-interface-id", t["eni"])
    c.aws_ok("terminate-instances", "--instance-ids", t["web-i"], t["db-i"])
    c.aws_ok("revoke-security-group-egress", "--group-id", t["web-sg"], "--ip-permissions",
             json.dumps([{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                          "UserIdGroupPairs": [{"GroupId": t["db-sg"]}]}]))
    assert c.aws_error("delete-security-group", "--group-id", t["web-sg"]) == "DependencyViolation"
    c.aws_ok("delete-security-group", "--group-id", t["db-sg"])
    c.aws_ok("delete-security-group", "--group-id", t["web-sg"])
    default_acl = c.boto3().describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [t["vpc"]]}, {"Name": "default", "Values": ["true"]}])
    c.aws_ok("replace-network-acl-association", "--association-id", t["aclassoc"],
             "--network-acl-id", default_acl["NetworkAcls"][0]["NetworkAclId"])
    c.aws_ok("delete-network-acl", "--network-acl-id", t["acl"])
    c.aws_ok("disassociate-route-table", "--association-id", t["rtbassoc"])
    c.aws_ok("delete-route-table", "--route-table-id", t["rtb"])
    c.aws_ok("detach-internet-gateway", "--internet-gateway-id", t["igw"], "--vpc-id", t["vpc"])
    c.aws_ok("delete-internet-gateway", "--internet-gateway-id", t["igw"])
    c.aws_ok("delete-subnet", "--subnet-id", t["web"])
    c.aws_ok("delete-subnet", "--subnet-id", t["db"])
    c.aws_ok("associate-dhcp-options", "--dhcp-options-id", "default", "--vpc-id", t["vpc"])
    c.aws_ok("delete-dhcp-options", "--dhcp-options-id", t["dopt"])
    c.aws_ok("delete-vpc", "--vpc-id", t["vpc"])
    left = c.boto3().describe_vpcs()["Vpcs"]
    assert left == []
    assert c.boto3().describe_network_interfaces()["NetworkInterfaces"] == []


def test_two_tier_topology_round_trip(controller):
    topology = build(controller)
    read_back(controller, topology)
    paginate(controller, topology)
    tear_down(controller, topology)
