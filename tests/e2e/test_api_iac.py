"""Infrastructure-as-code clients against a real controller (issue 17), through boto3.

The call sequences are those of Terraform's AWS provider (internal/service/ec2: vpc_.go,
vpc_subnet.go, vpc_security_group.go, vpc_security_group_ingress_rule.go, vpc_network_acl.go)
and of Ansible amazon.aws 5.5 (ec2_vpc_net, ec2_vpc_dhcp_option): each step sends what the
provider or module sends and checks the answer it depends on. Terraform is not packaged for
this machine, so its sequences are replayed here; Ansible's are the module's boto3 calls.
"""
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from api_fixtures import Controller, error_code, signed_post


@pytest.fixture(scope="module")
def controller():
    c = Controller()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def ec2(controller):
    return controller.boto3()


def code(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_ansible_ec2_vpc_net_lookup_and_classic_link(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "ansible-net"}]}])["Vpc"]
    # ec2_vpc_net finds an existing VPC by Name tag and CIDR with the "cidr-block" filter.
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["ansible-net"]},
                                       {"Name": "cidr-block", "Values": ["10.40.0.0/16"]}])
    assert [v["VpcId"] for v in found["Vpcs"]] == [vpc["VpcId"]]
    # ... and reads ClassicLink, relying on EC2's UnsupportedOperation.
    for call in (ec2.describe_vpc_classic_link, ec2.describe_vpc_classic_link_dns_support):
        assert code(call, VpcIds=[vpc["VpcId"]]) == (
            "UnsupportedOperation",
            "The functionality you requested is not available in this region.")
    # The VPC carries the account's default DHCP options, which DescribeDhcpOptions finds.
    dopt = vpc["DhcpOptionsId"]
    assert dopt.startswith("dopt-")
    options = ec2.describe_dhcp_options(DhcpOptionsIds=[dopt])["DhcpOptions"][0]
    assert {c["Key"]: [v["Value"] for v in c["Values"]]
            for c in options["DhcpConfigurations"]} == {
        "domain-name": ["ec2.internal"], "domain-name-servers": ["AmazonProvidedDNS"]}
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc["VpcId"])
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["DhcpOptionsId"] == "default"
    ec2.associate_dhcp_options(DhcpOptionsId=dopt, VpcId=vpc["VpcId"])
    ec2.delete_vpc(VpcId=vpc["VpcId"])


def test_terraform_aws_vpc_and_subnet(ec2):
    # aws_vpc: create, then the attribute reads every refresh makes.
    vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableNetworkAddressUsageMetrics={"Value": False})
    for attribute, expected in (("enableDnsSupport", True), ("enableDnsHostnames", True),
                                ("enableNetworkAddressUsageMetrics", False)):
        answer = ec2.describe_vpc_attribute(VpcId=vpc, Attribute=attribute)
        key = attribute[0].upper() + attribute[1:]
        assert answer[key]["Value"] is expected, attribute
    ec2.modify_vpc_tenancy(VpcId=vpc, InstanceTenancy="default")
    assert ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "VpcEndpoints"] == []
    main = ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]},
                                              {"Name": "vpc-id", "Values": [vpc]}])
    table = main["RouteTables"][0]["RouteTableId"]
    assert ec2.describe_route_tables(Filters=[
        {"Name": "association.gateway-id", "Values": ["igw-0123456789abcdef0"]}])[
        "RouteTables"] == []
    assert code(ec2.enable_vgw_route_propagation, RouteTableId=table,
                GatewayId="vgw-0123456789abcdef0")[0] == "InvalidVpnGatewayID.NotFound"

    # aws_subnet: create, then one ModifySubnetAttribute per attribute set, then a read.
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.41.1.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    ec2.modify_subnet_attribute(SubnetId=subnet, EnableDns64={"Value": False})
    ec2.modify_subnet_attribute(SubnetId=subnet,
                                EnableResourceNameDnsARecordOnLaunch={"Value": True})
    ec2.modify_subnet_attribute(SubnetId=subnet, PrivateDnsHostnameTypeOnLaunch="resource-name")
    read = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]
    assert read["MapPublicIpOnLaunch"] is True and read["EnableDns64"] is False
    assert read["PrivateDnsNameOptionsOnLaunch"] == {
        "HostnameType": "resource-name", "EnableResourceNameDnsARecord": True,
        "EnableResourceNameDnsAAAARecord": False}
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_terraform_aws_security_group_and_rules(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="tf-web", Description="web", VpcId=vpc)["GroupId"]
    # Create: the provider revokes the default egress rule, IPv4 then IPv6, and ignores
    # InvalidPermission.NotFound for the IPv6 one.
    ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[
        {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert code(ec2.revoke_security_group_egress, GroupId=group, IpPermissions=[
        {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0,
         "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])[0] == "InvalidPermission.NotFound"
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    # Update of a description only.
    ec2.update_security_group_rule_descriptions_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}]}])
    described = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
    assert described["IpPermissions"][0]["IpRanges"] == [
        {"CidrIp": "0.0.0.0/0", "Description": "https"}]
    assert described["IpPermissionsEgress"] == []

    # aws_vpc_security_group_ingress_rule: one rule with tags, read by id, modified in place.
    added = ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                        "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
        TagSpecifications=[{"ResourceType": "security-group-rule",
                            "Tags": [{"Key": "Name", "Value": "ssh"}]}])
    rule = added["SecurityGroupRules"][0]
    assert rule["Tags"] == [{"Key": "Name", "Value": "ssh"}]
    rule_id = rule["SecurityGroupRuleId"]
    ec2.create_tags(Resources=[rule_id], Tags=[{"Key": "Team", "Value": "ops"}])
    ec2.modify_security_group_rules(GroupId=group, SecurityGroupRules=[{
        "SecurityGroupRuleId": rule_id,
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222,
                              "CidrIpv4": "10.0.0.0/8", "Description": "ssh alt"}}])
    read = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])[
        "SecurityGroupRules"][0]
    assert (read["FromPort"], read["Description"]) == (2222, "ssh alt")
    assert sorted((t["Key"], t["Value"]) for t in read["Tags"]) == [
        ("Name", "ssh"), ("Team", "ops")]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [rule_id]}])["Tags"]
    assert {t["ResourceType"] for t in tags} == {"security-group-rule"}
    ec2.delete_tags(Resources=[rule_id], Tags=[{"Key": "Team"}])
    ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule_id])
    assert code(ec2.create_tags, Resources=[rule_id], Tags=[{"Key": "A", "Value": "b"}])[0] == \
        "InvalidSecurityGroupRuleId.NotFound"
    ec2.delete_security_group(GroupId=group)
    ec2.delete_vpc(VpcId=vpc)


def test_terraform_aws_network_acl(controller, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    # The provider sends ClientToken, which Debian's boto3 does not know: send it signed by hand.
    body = urllib.parse.urlencode({"Action": "CreateNetworkAcl", "Version": "2016-11-15",
                                   "VpcId": vpc, "ClientToken": "terraform-1"}).encode()
    first = signed_post(controller.endpoint, body, controller.credentials)
    again = signed_post(controller.endpoint, body, controller.credentials)
    assert first[0] == 200, first[1]
    assert "<clientToken>terraform-1</clientToken>" in first[1]
    acl = first[1].split("<networkAclId>")[1].split("<")[0]
    assert f"<networkAclId>{acl}<" in again[1]
    assert len(ec2.describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["false"]}])[
        "NetworkAcls"]) == 1
    assert code(ec2.create_network_acl_entry, NetworkAclId=acl, RuleNumber=10, Protocol="1",
                RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0") == (
        "MissingParameter", "The request must contain the parameter icmpTypeCode.type")
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=10, Protocol="1",
                                 RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0",
                                 IcmpTypeCode={"Type": 8, "Code": -1})
    status, text = signed_post(controller.endpoint, urllib.parse.urlencode(
        {"Action": "CreateNetworkAcl", "VpcId": vpc, "NoSuchParameter": "1"}).encode(),
        controller.credentials)
    assert (status, error_code(text)) == (400, "UnknownParameter")
    ec2.delete_network_acl(NetworkAclId=acl)
    ec2.delete_vpc(VpcId=vpc)


def test_terraform_aws_eip_domain_name_attribute(ec2):
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    answer = ec2.describe_addresses_attribute(AllocationIds=[allocation],
                                              Attribute="domain-name")
    assert [a["AllocationId"] for a in answer["Addresses"]] == [allocation]
    assert "PtrRecord" not in answer["Addresses"][0]
    ec2.release_address(AllocationId=allocation)
