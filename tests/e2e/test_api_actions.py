"""The remaining actions and behaviours through boto3: secondary CIDRs, attributes, route and
ACL entry changes, rule ids, tags, account attributes, DryRun and ClientToken idempotency."""
import pytest
from botocore.exceptions import ClientError

from api_fixtures import Controller


@pytest.fixture(scope="module")
def ec2():
    c = Controller()
    yield c.boto3()
    c.stop()


def code(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"]


def test_vpc_and_subnet_attributes(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    association = ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")
    assert association["CidrBlockAssociation"]["CidrBlock"] == "10.1.0.0/16"
    assert code(ec2.associate_vpc_cidr_block, VpcId=vpc, CidrBlock="10.1.128.0/17") == \
        "InvalidVpc.Range"
    described = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]
    assert [a["CidrBlock"] for a in described["CidrBlockAssociationSet"]] == \
        ["10.0.0.0/16", "10.1.0.0/16"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.5.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["MapPublicIpOnLaunch"] is True
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": False})
    assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsSupport")[
        "EnableDnsSupport"]["Value"] is False


def test_routes_acl_entries_and_rule_ids(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16",
                     NetworkInterfaceId=eni)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16", GatewayId=igw)
    routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
    assert {r["DestinationCidrBlock"]: r.get("GatewayId") for r in routes}["192.168.0.0/16"] == igw
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16")
    assert code(ec2.delete_route, RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16") == \
        "InvalidRoute.NotFound"

    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    entry = dict(NetworkAclId=acl, RuleNumber=10, Protocol="17", RuleAction="allow",
                 Egress=True, CidrBlock="10.0.0.0/8", PortRange={"From": 53, "To": 53})
    ec2.create_network_acl_entry(**entry)
    ec2.replace_network_acl_entry(**dict(entry, RuleAction="deny"))
    entries = ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"]
    mine = [e for e in entries if e["RuleNumber"] == 10][0]
    assert mine["RuleAction"] == "deny" and mine["PortRange"] == {"From": 53, "To": 53}
    ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=10, Egress=True)
    assert code(ec2.delete_network_acl_entry, NetworkAclId=acl, RuleNumber=10, Egress=True) == \
        "InvalidNetworkAclEntry.NotFound"

    group = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]
    added = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "dns"}]}])
    rule_id = added["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    assert rule_id.startswith("sgr-")
    ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule_id])
    assert code(ec2.revoke_security_group_ingress, GroupId=group,
                SecurityGroupRuleIds=[rule_id]) == "InvalidSecurityGroupRuleId.NotFound"
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Groups=[group])
    assert [g["GroupId"] for g in ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])[
        "NetworkInterfaces"][0]["Groups"]] == [group]
    assert code(ec2.delete_security_group, GroupId=group) == "DependencyViolation"


def test_route_state_tells_blackholes(ec2):
    """A route whose target is gone (detached gateway, deleted interface) says blackhole, in
    the answer and to the route.state filter; it says active again when the target is back."""
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.3.1.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16",
                     NetworkInterfaceId=eni)

    def states():
        table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
        return {r["DestinationCidrBlock"]: r["State"] for r in table["Routes"]}

    def blackholed():
        return [t["RouteTableId"] for t in ec2.describe_route_tables(
            Filters=[{"Name": "route.state", "Values": ["blackhole"]}])["RouteTables"]]

    assert states() == {"10.3.0.0/16": "active", "0.0.0.0/0": "active",
                        "192.168.0.0/16": "active"}
    assert rtb not in blackholed()
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    assert states() == {"10.3.0.0/16": "active", "0.0.0.0/0": "blackhole",
                        "192.168.0.0/16": "blackhole"}
    assert rtb in blackholed()
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert states()["0.0.0.0/0"] == "active"


def test_tags_dry_run_and_client_token(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ec2.delete_tags(Resources=[vpc], Tags=[{"Key": "a"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc]}])["Tags"]
    assert [(t["Key"], t["ResourceType"]) for t in tags] == [("b", "vpc")]
    for call, kwargs in [(ec2.create_vpc, {"CidrBlock": "10.9.0.0/16"}),
                         (ec2.delete_vpc, {"VpcId": vpc}),
                         (ec2.describe_vpcs, {})]:
        assert code(call, DryRun=True, **kwargs) == "DryRunOperation"
    assert vpc in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.3.1.0/24")["Subnet"]["SubnetId"]
    run = dict(ImageId="ami-1", MinCount=1, MaxCount=1, SubnetId=subnet, ClientToken="once")
    first = ec2.run_instances(**run)["Instances"][0]["InstanceId"]
    again = ec2.run_instances(**run)["Instances"][0]["InstanceId"]
    assert first == again
    assert code(ec2.run_instances, **dict(run, InstanceType="m5.large")) == \
        "IdempotentParameterMismatch"
    attributes = ec2.describe_account_attributes()["AccountAttributes"]
    assert {a["AttributeName"] for a in attributes} >= {"supported-platforms", "max-elastic-ips"}
    assert ec2.terminate_instances(InstanceIds=[first])["TerminatingInstances"][0][
        "CurrentState"]["Name"] == "terminated"
