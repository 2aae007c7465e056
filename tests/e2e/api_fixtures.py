"""Helpers for the control-plane end-to-end tests (tests/e2e/test_api_*.py).

Starts openvpc-controller (and, for the etcd variants, a real /usr/bin/etcd) on free
127.0.0.1 ports with temporary data directories, stops them by PID, and drives the API only
through the stock AWS CLI (/usr/bin/aws) and boto3. Nothing here talks to any address outside
127.0.0.0/8, and every wait is bounded in time.
"""
import configparser
import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BUILD = os.environ.get("OPENVPC_BUILD", "/work/main/build")
CONTROLLER = os.path.join(BUILD, "src/controller/openvpc-controller")
CLI = os.path.join(BUILD, "src/cli/openvpc")
AWS = "/usr/bin/aws"
ETCD = "/usr/bin/etcd"
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=15.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


class Etcd:
    """An etcd of `size` members on free loopback ports (endpoint: the first member's;
    endpoints: all of them); stop() kills them by PID."""

    def __init__(self, size=1):
        self.dir = tempfile.mkdtemp(prefix="openvpc-etcd-")
        members = [(f"n{i}", free_port(), free_port()) for i in range(size)]
        cluster = ",".join(f"{name}=http://127.0.0.1:{peer}" for name, _, peer in members)
        self.endpoints = [f"http://127.0.0.1:{client}" for _, client, _ in members]
        self.endpoint = self.endpoints[0]
        self.procs, self.logs = [], []
        for name, client, peer in members:
            log = open(os.path.join(self.dir, f"{name}.log"), "w")
            self.logs.append(log)
            self.procs.append(subprocess.Popen(
                [ETCD, "--name", name, "--data-dir", os.path.join(self.dir, name),
                 "--listen-client-urls", f"http://127.0.0.1:{client}",
                 "--advertise-client-urls", f"http://127.0.0.1:{client}",
                 "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                 "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                 "--initial-cluster", cluster, "--initial-cluster-state", "new"],
                stdout=log, stderr=subprocess.STDOUT))

        def healthy(endpoint):
            try:
                with urllib.request.urlopen(endpoint + "/health", timeout=1) as r:
                    return b"true" in r.read()
            except (OSError, urllib.error.URLError):
                return False
        if not wait_until(lambda: all(healthy(e) for e in self.endpoints), 30):
            self.stop()
            raise RuntimeError("etcd did not become healthy")

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        for log in self.logs:
            log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Controller:
    """openvpc-controller on a free port. kill() sends a signal; start() (re)starts it on the
    same data directory and store."""

    def __init__(self, store="sqlite", etcd_endpoint=None, extra_args=(), pki_from=None):
        self.dir = tempfile.mkdtemp(prefix="openvpc-api-")
        self.data_dir = os.path.join(self.dir, "data")
        if pki_from:  # another controller of the same region: one CA for the mapping service
            shutil.copytree(os.path.join(pki_from.data_dir, "pki"),
                            os.path.join(self.data_dir, "pki"))
        self.store = store
        self.etcd_endpoint = etcd_endpoint
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.start()
        self.credentials = read_credentials(os.path.join(self.data_dir, "admin-credentials"))
        self.env = self.aws_env(self.credentials)

    def start(self):
        port_file = os.path.join(self.dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        args = [CONTROLLER, "--data-dir", self.data_dir, "--port", "0", "--port-file", port_file,
                "--store", self.store] + self.extra_args
        # Tests create resources faster than EC2's request buckets refill; the throttling test
        # asks for it explicitly.
        if not any(a.startswith("--api-throttle") for a in self.extra_args):
            args += ["--api-throttle", "off"]
        if self.etcd_endpoint:
            args += ["--etcd-endpoints", self.etcd_endpoint]
        self.log = open(os.path.join(self.dir, "controller.log"), "a")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_until(lambda: os.path.exists(port_file) and open(port_file).read().strip(), 20):
            raise RuntimeError("controller did not start: " + self.read_log())
        self.port = int(open(port_file).read())
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def issue(self, node_id, role, out, addresses=()):
        """`openvpc host add` on this controller's CA: out/{ca,cert,key}.pem for node_id in
        role (router, edge, hyperplane or operator), valid for HTTPS on `addresses`. Returns
        out."""
        role_args = ["--operator"] if role == "operator" else ["--role", role]
        role_args += [a for address in addresses for a in ("--address", address)]
        done = subprocess.run([CLI, "host", "add", "--data-dir", self.data_dir, "--id", node_id,
                               "--out", str(out)] + role_args, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return str(out)

    def read_log(self):
        with open(os.path.join(self.dir, "controller.log")) as f:
            return f.read()[-4000:]

    def kill(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)
        self.log.close()

    def stop(self):
        self.kill(signal.SIGTERM)
        shutil.rmtree(self.dir, ignore_errors=True)

    def aws_env(self, credentials):
        """Environment for /usr/bin/aws with the given (key id, secret) in tmp files."""
        path = os.path.join(self.dir, f"credentials-{credentials[0]}")
        with open(path, "w") as f:
            f.write(f"[default]\naws_access_key_id={credentials[0]}\n"
                    f"aws_secret_access_key={credentials[1]}\n")
        config = os.path.join(self.dir, "aws-config")
        with open(config, "w") as f:
            f.write(f"[default]\nregion = {REGION}\n")
        env = dict(os.environ)
        env.update(AWS_SHARED_CREDENTIALS_FILE=path, AWS_CONFIG_FILE=config, AWS_PAGER="",
                   AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true",
                   AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard")
        return env

    def aws(self, *args, env=None, service="ec2"):
        """Runs `aws SERVICE ARGS` (ec2, or elbv2) and returns (returncode, parsed JSON or None,
        stderr)."""
        cmd = [AWS, service, "--endpoint-url", self.endpoint, "--region", REGION,
               "--output", "json"] + [str(a) for a in args]
        done = subprocess.run(cmd, env=env or self.env, capture_output=True, text=True,
                              timeout=60)
        out = json.loads(done.stdout) if done.stdout.strip() else None
        return done.returncode, out, done.stderr

    def aws_ok(self, *args, env=None, service="ec2"):
        rc, out, err = self.aws(*args, env=env, service=service)
        assert rc == 0, f"aws {service} {' '.join(map(str, args))} failed: {err}"
        return out

    def aws_error(self, *args, env=None, service="ec2"):
        """The error code the AWS CLI prints for a failing call."""
        rc, _, err = self.aws(*args, env=env, service=service)
        assert rc != 0, f"aws {service} {' '.join(map(str, args))} unexpectedly succeeded"
        match = re.search(r"An error occurred \(([^)]+)\)", err)
        assert match, err
        return match.group(1)

    def boto3(self, credentials=None, service="ec2"):
        import boto3
        from botocore.config import Config
        key, secret = credentials or self.credentials
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": 1}))

    def admin(self, verb, body=None, credentials=None):
        """POST /admin/VERB (JSON), SigV4-signed with the admin key."""
        data = json.dumps(body or {}).encode()
        status, text = signed_post(self.endpoint + "/admin/" + verb, data,
                                   credentials or self.credentials,
                                   content_type="application/json")
        return status, json.loads(text) if text else None

    def new_account(self, name):
        status, answer = self.admin("accounts", {"name": name})
        assert status == 200, answer
        return answer["account_id"], (answer["access_key_id"], answer["secret_access_key"])


def read_credentials(path):
    parser = configparser.ConfigParser()
    parser.read(path)
    return parser["default"]["aws_access_key_id"], parser["default"]["aws_secret_access_key"]


def sigv4_headers(url, body, credentials, when=None, region=REGION, service="ec2",
                  content_type="application/x-www-form-urlencoded; charset=utf-8"):
    """Headers of a SigV4-signed POST (host, content-type, x-amz-date signed)."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    host = url.split("/")[2]
    path = "/" + "/".join(url.split("/")[3:])
    headers = {"content-type": content_type, "host": host, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", path, "",
                           "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
                           signed, hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + credentials[1]).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={credentials[0]}/{scope}, "
                                f"SignedHeaders={signed}, Signature={signature}")
    return headers


def signed_post(url, body, credentials, when=None, headers=None,
                content_type="application/x-www-form-urlencoded; charset=utf-8"):
    """(status, body text) of a POST; headers overrides the signed ones (for tampering)."""
    sent = sigv4_headers(url, body, credentials, when, content_type=content_type)
    sent.pop("host")
    sent.update(headers or {})
    request = urllib.request.Request(url, data=body, headers=sent, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def error_code(xml_text):
    match = re.search(r"<Code>([^<]+)</Code>", xml_text)
    return match.group(1) if match else None
