"""Signature V4 checks and account isolation, through raw signed requests, boto3 and the
AWS CLI."""
import datetime
import json
import subprocess

import boto3
import pytest
from botocore.exceptions import ClientError

from api_fixtures import Controller, error_code, signed_post, sigv4_headers

BODY = b"Action=DescribeVpcs&Version=2016-11-15"


@pytest.fixture(scope="module")
def controller():
    c = Controller()
    yield c
    c.stop()


def test_correct_signature_is_accepted(controller):
    status, text = signed_post(controller.endpoint + "/", BODY, controller.credentials)
    assert status == 200 and "<DescribeVpcsResponse" in text


def test_wrong_secret(controller):
    key, _ = controller.credentials
    status, text = signed_post(controller.endpoint + "/", BODY, (key, "not-the-secret"))
    assert error_code(text) == "SignatureDoesNotMatch" and status == 403
    env = controller.aws_env((key, "not-the-secret"))
    assert controller.aws_error("describe-vpcs", env=env) == "SignatureDoesNotMatch"


def test_unknown_access_key(controller):
    env = controller.aws_env(("AKIAUNKNOWNKEY000000", "secret"))
    assert controller.aws_error("describe-vpcs", env=env) == "AuthFailure"


def test_altered_body(controller):
    url = controller.endpoint + "/"
    headers = sigv4_headers(url, BODY, controller.credentials)
    headers.pop("host")
    altered = BODY + b"&VpcId.1=vpc-0123456789abcdef0"
    status, text = signed_post(url, altered, controller.credentials, headers=headers)
    assert error_code(text) == "SignatureDoesNotMatch"


def test_altered_signed_header(controller):
    status, text = signed_post(controller.endpoint + "/", BODY, controller.credentials,
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert error_code(text) == "SignatureDoesNotMatch"


def test_expired_date(controller):
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    status, text = signed_post(controller.endpoint + "/", BODY, controller.credentials, when=old)
    assert error_code(text) == "RequestExpired"
    recent = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    status, _ = signed_post(controller.endpoint + "/", BODY, controller.credentials, when=recent)
    assert status == 200


def test_missing_and_incomplete_authorization(controller):
    import urllib.request
    import urllib.error
    request = urllib.request.Request(controller.endpoint + "/", data=BODY, method="POST")
    try:
        urllib.request.urlopen(request, timeout=10)
        assert False, "unsigned request accepted"
    except urllib.error.HTTPError as e:
        assert error_code(e.read().decode()) == "MissingAuthenticationToken"
    status, text = signed_post(controller.endpoint + "/", BODY, controller.credentials,
                               headers={"authorization": "AWS4-HMAC-SHA256 Credential=x"})
    assert error_code(text) == "IncompleteSignature"


def test_accounts_cannot_see_or_change_each_other(controller):
    _, alice = controller.new_account("alice")
    _, bob = controller.new_account("bob")
    a, b = controller.boto3(alice), controller.boto3(bob)
    vpc = a.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = a.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    assert b.describe_vpcs()["Vpcs"] == []
    bob_env = controller.aws_env(bob)
    for args, code in [
        (["describe-vpcs", "--vpc-ids", vpc], "InvalidVpcID.NotFound"),
        (["delete-vpc", "--vpc-id", vpc], "InvalidVpcID.NotFound"),
        (["delete-subnet", "--subnet-id", subnet], "InvalidSubnetID.NotFound"),
        (["create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.2.0/24"],
         "InvalidVpcID.NotFound"),
        (["create-tags", "--resources", vpc, "--tags", "Key=x,Value=y"], "InvalidVpcID.NotFound"),
    ]:
        assert controller.aws_error(*args, env=bob_env) == code, args
    # The same id space: bob gets the same answer as for an id that never existed.
    assert controller.aws_error("delete-vpc", "--vpc-id", "vpc-0123456789abcdef0",
                                env=bob_env) == "InvalidVpcID.NotFound"
    assert [v["VpcId"] for v in a.describe_vpcs()["Vpcs"]] == [vpc]
    # Admin endpoints are for the admin account only.
    status, answer = controller.admin("status", credentials=alice)
    assert status == 400 and answer["error"]["code"] == "UnauthorizedOperation"


def test_sts_get_caller_identity_and_iam_get_user(controller):
    """Terraform and Ansible ask STS (or IAM) who they are before any EC2 call: the signature's
    service routes the request, the keys are EC2's, the answer names the caller's account."""
    env = controller.aws_env(controller.credentials)
    done = subprocess.run(["/usr/bin/aws", "sts", "get-caller-identity", "--endpoint-url",
                           controller.endpoint, "--output", "json"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    identity = json.loads(done.stdout)
    account, user_arn = identity["Account"], identity["Arn"]
    assert len(account) == 12 and account.isdigit()
    assert user_arn.startswith(f"arn:aws:iam::{account}:user/")
    assert identity["UserId"].startswith("AIDA")

    other_id, other_keys = controller.new_account("sts-other")
    sts = boto3.client("sts", endpoint_url=controller.endpoint, region_name="us-east-1",
                       aws_access_key_id=other_keys[0], aws_secret_access_key=other_keys[1])
    assert sts.get_caller_identity()["Account"] == other_id
    iam = boto3.client("iam", endpoint_url=controller.endpoint, region_name="us-east-1",
                       aws_access_key_id=other_keys[0], aws_secret_access_key=other_keys[1])
    user = iam.get_user()["User"]
    assert user["Arn"] == f"arn:aws:iam::{other_id}:user/sts-other"
    assert user["UserName"] == "sts-other"
    # A wrong secret is refused for STS as for EC2; an STS action that does not exist is named.
    bad = boto3.client("sts", endpoint_url=controller.endpoint, region_name="us-east-1",
                       aws_access_key_id=other_keys[0], aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as e:
        bad.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as e:
        sts.get_session_token()
    assert e.value.response["Error"]["Code"] == "InvalidAction"
