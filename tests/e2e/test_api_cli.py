"""The openvpc CLI: admin verbs over /admin, tenant verbs through the EC2 API; and HTTPS."""
import json
import os
import subprocess

import pytest

from api_fixtures import CLI, Controller


@pytest.fixture(scope="module")
def controller():
    c = Controller()
    yield c
    c.stop()


def openvpc(c, *args, credentials=None):
    path = os.path.join(c.data_dir, "admin-credentials")
    if credentials:
        path = os.path.join(c.dir, "cli-credentials")
        with open(path, "w") as f:
            f.write(f"[default]\naws_access_key_id={credentials[0]}\n"
                    f"aws_secret_access_key={credentials[1]}\n")
    done = subprocess.run([CLI, "--endpoint", c.endpoint, "--credentials", path] + list(args),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_admin_and_tenant_verbs(controller):
    created = json.loads(openvpc(controller, "--json", "account", "create", "carol"))
    carol = (created["access_key_id"], created["secret_access_key"])
    assert len(created["account_id"]) == 12
    second = json.loads(openvpc(controller, "--json", "key", "create", "--account",
                                created["account_id"]))
    assert second["account_id"] == created["account_id"]

    ec2 = controller.boto3(carol)
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "carol-vpc"}]}])["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    ec2.run_instances(ImageId="ami-1", MinCount=1, MaxCount=1, SubnetId=subnet,
                      PrivateIpAddress="10.7.1.9", Placement={"HostId": "host-9"})

    table = openvpc(controller, "vpcs", credentials=carol)
    assert table.splitlines()[0].split() == ["VpcId", "Name", "CidrBlock", "State",
                                             "DhcpOptionsId"]
    assert vpc in table and "carol-vpc" in table
    instances = json.loads(openvpc(controller, "--json", "instances", credentials=carol))
    assert instances[0]["PrivateIp"] == "10.7.1.9" and instances[0]["HostId"] == "host-9"
    subnets = json.loads(openvpc(controller, "--json", "subnets", credentials=carol))
    assert [s["SubnetId"] for s in subnets] == [subnet]
    groups = json.loads(openvpc(controller, "--json", "security-groups", credentials=carol))
    assert [g["GroupName"] for g in groups] == ["default"]
    # The admin sees none of carol's resources through the tenant API.
    assert vpc not in openvpc(controller, "vpcs")

    audit = json.loads(openvpc(controller, "--json", "audit", "--account",
                               created["account_id"], "--limit", "0"))
    actions = [r["action"] for r in audit]
    assert actions[:2] == ["CreateVpc", "CreateSubnet"] and "DescribeVpcs" in actions
    assert all(r["code"] == "Success" for r in audit)
    assert audit[0]["parameters"]["CidrBlock"] == "10.7.0.0/16"
    assert carol[1] not in json.dumps(audit)
    status = json.loads(openvpc(controller, "status"))
    assert status["counts"]["accounts"] == 2 and status["counts"]["instances"] == 1


def test_https(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    c = Controller(extra_args=["--tls-cert", str(cert), "--tls-key", str(key)])
    try:
        c.endpoint = f"https://127.0.0.1:{c.port}"
        env = dict(c.env, AWS_CA_BUNDLE=str(cert))
        out = c.aws_ok("create-vpc", "--cidr-block", "10.0.0.0/16", "--no-verify-ssl", env=env)
        assert out["Vpc"]["VpcId"].startswith("vpc-")
    finally:
        c.stop()
