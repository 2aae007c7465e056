"""Each validation rule, asserted on the EC2 error code the stock AWS CLI prints."""
import concurrent.futures
import json

import pytest

from api_fixtures import Controller, error_code, signed_post


@pytest.fixture(scope="module")
def setup():
    c = Controller(extra_args=["--limit", "vpcs_per_account=3"])
    ec2 = c.boto3()
    t = {"vpc": ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]}
    t["subnet"] = ec2.create_subnet(VpcId=t["vpc"], CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.run_instances(ImageId="ami-1", MinCount=1, MaxCount=1, SubnetId=t["subnet"],
                      PrivateIpAddress="10.0.1.10")
    t["web"] = ec2.create_security_group(GroupName="web", Description="w", VpcId=t["vpc"])["GroupId"]
    t["db"] = ec2.create_security_group(GroupName="db", Description="d", VpcId=t["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=t["db"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
         "UserIdGroupPairs": [{"GroupId": t["web"]}]}])
    t["acl"] = ec2.create_network_acl(VpcId=t["vpc"])["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=t["acl"], RuleNumber=100, Protocol="6",
                                 RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0",
                                 PortRange={"From": 80, "To": 80})
    t["rtb"] = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [t["vpc"]]}])[
        "RouteTables"][0]["RouteTableId"]
    t["igw"] = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=t["igw"], VpcId=t["vpc"])
    yield c, t
    c.stop()


def cases(t):
    port80 = json.dumps([{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                          "UserIdGroupPairs": [{"GroupId": t["web"]}]}])
    return [
        (["create-vpc", "--cidr-block", "10.0.0.0/15"], "InvalidVpc.Range"),
        (["create-vpc", "--cidr-block", "10.0.0.0/29"], "InvalidVpc.Range"),
        (["create-vpc", "--cidr-block", "10.0.0.0"], "InvalidParameterValue"),
        (["create-vpc", "--cidr-block", "10.9.0.0/16", "--dry-run"], "DryRunOperation"),
        (["create-subnet", "--vpc-id", t["vpc"], "--cidr-block", "10.0.1.128/25"],
         "InvalidSubnet.Conflict"),
        (["create-subnet", "--vpc-id", t["vpc"], "--cidr-block", "10.1.0.0/24"],
         "InvalidSubnet.Range"),
        (["create-subnet", "--vpc-id", t["vpc"], "--cidr-block", "10.0.9.0/29"],
         "InvalidSubnet.Range"),
        (["create-subnet", "--vpc-id", "vpc-0123456789abcdef0", "--cidr-block", "10.0.9.0/24"],
         "InvalidVpcID.NotFound"),
        (["run-instances", "--image-id", "ami-1", "--subnet-id", t["subnet"],
          "--private-ip-address", "10.0.1.1"], "InvalidParameterValue"),
        (["run-instances", "--image-id", "ami-1", "--subnet-id", t["subnet"],
          "--private-ip-address", "10.0.1.255"], "InvalidParameterValue"),
        (["run-instances", "--image-id", "ami-1", "--subnet-id", t["subnet"],
          "--private-ip-address", "10.0.2.5"], "InvalidParameterValue"),
        (["run-instances", "--image-id", "ami-1", "--subnet-id", t["subnet"],
          "--private-ip-address", "10.0.1.10"], "InvalidIPAddress.InUse"),
        (["delete-vpc", "--vpc-id", t["vpc"]], "DependencyViolation"),
        (["delete-subnet", "--subnet-id", t["subnet"]], "DependencyViolation"),
        (["delete-security-group", "--group-id", t["web"]], "DependencyViolation"),
        (["authorize-security-group-ingress", "--group-id", t["db"], "--ip-permissions", port80],
         "InvalidPermission.Duplicate"),
        (["create-security-group", "--group-name", "web", "--description", "x", "--vpc-id",
          t["vpc"]], "InvalidGroup.Duplicate"),
        (["create-network-acl-entry", "--network-acl-id", t["acl"], "--rule-number", "32767",
          "--protocol", "-1", "--rule-action", "allow", "--ingress", "--cidr-block",
          "0.0.0.0/0"], "InvalidParameterValue"),
        (["create-network-acl-entry", "--network-acl-id", t["acl"], "--rule-number", "100",
          "--protocol", "-1", "--rule-action", "deny", "--ingress", "--cidr-block",
          "0.0.0.0/0"], "NetworkAclEntryAlreadyExists"),
        (["create-route", "--route-table-id", t["rtb"], "--destination-cidr-block", "10.0.0.0/16",
          "--gateway-id", t["igw"]], "RouteAlreadyExists"),
        (["delete-route", "--route-table-id", t["rtb"], "--destination-cidr-block",
          "10.0.0.0/16"], "InvalidParameterValue"),
        (["attach-internet-gateway", "--internet-gateway-id", t["igw"], "--vpc-id", t["vpc"]],
         "Resource.AlreadyAssociated"),
        (["describe-vpcs", "--filters", "Name=no-such-filter,Values=x"], "InvalidParameterValue"),
        (["describe-subnets", "--subnet-ids", "subnet-0123456789abcdef0"],
         "InvalidSubnetID.NotFound"),
    ]


def test_validation_errors_have_ec2_codes(setup):
    c, t = setup
    table = cases(t)
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        codes = list(pool.map(lambda case: c.aws_error(*case[0]), table))
    mismatches = [(args[0], want, got) for (args, want), got in zip(table, codes) if want != got]
    assert mismatches == []


def test_vpc_limit_is_configurable(setup):
    c, _ = setup
    ec2 = c.boto3()
    ec2.create_vpc(CidrBlock="10.1.0.0/16")
    ec2.create_vpc(CidrBlock="10.2.0.0/16")  # the third, with the fixture's
    assert c.aws_error("create-vpc", "--cidr-block", "10.3.0.0/16") == "VpcLimitExceeded"


@pytest.mark.parametrize("body,code", [
    ("Action=NoSuchAction&Version=2016-11-15", "InvalidAction"),
    ("Action=CreateSubnet&Version=2016-11-15&CidrBlock=10.0.5.0%2F24", "MissingParameter"),
    ("Action=DescribeVpcs&Version=2016-11-15&MaxResults=abc", "InvalidParameterValue"),
    ("Action=DescribeVpcs&Version=2016-11-15&Filter.1.Value.1=x", "MissingParameter"),
    ("Action=Describe%Vpcs", "InvalidParameterValue"),
    ("Action=DescribeVpcs&Version=2016-11-15&NoSuchParameter=1", "UnknownParameter"),
])
def test_malformed_requests_are_client_errors(setup, body, code):
    c, _ = setup
    status, text = signed_post(c.endpoint + "/", body.encode(), c.credentials)
    assert status == 400
    assert error_code(text) == code
