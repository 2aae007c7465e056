"""EC2's request throttling: a token bucket per account and action (api/request_throttle.h).

A controller with small Describe* buckets (--api-throttle non_mutating=20/4: 20 tokens refilled
4 per second, so Python clients on a loaded 2-core machine reach the limit quickly; EC2's own
sizes, 100 and 20 per second, are the default and the unit test's). One account hammers DescribeVpcs from four boto3 clients without retries and gets
RequestLimitExceeded with HTTP 503; another account calling at a modest rate at the same time
is never throttled; the stock aws CLI shows the error; the bucket refills.
"""
import os
import statistics
import subprocess
import threading
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from api_fixtures import AWS, REGION, Controller


@pytest.fixture(scope="module")
def controller():
    c = Controller(extra_args=["--api-throttle", "non_mutating=20/4"])
    yield c
    c.stop()


def client(c, credentials):
    key, secret = credentials
    return boto3.client("ec2", endpoint_url=c.endpoint, region_name=REGION,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def timed_describe(ec2):
    started = time.monotonic()
    ec2.describe_vpcs()
    return time.monotonic() - started


def test_one_account_is_throttled_and_another_is_not(controller):
    _, noisy_keys = controller.new_account("noisy")
    _, quiet_keys = controller.new_account("quiet")
    quiet = client(controller, quiet_keys)
    baseline = [timed_describe(quiet) for _ in range(8)]
    stop = threading.Event()
    outcomes = {"ok": 0, "throttled": 0, "other": []}
    lock = threading.Lock()

    def hammer():
        ec2 = client(controller, noisy_keys)
        while not stop.is_set():
            try:
                ec2.describe_vpcs()
                result = "ok"
            except ClientError as e:
                error = e.response["Error"]["Code"]
                status = e.response["ResponseMetadata"]["HTTPStatusCode"]
                result = "throttled" if (error, status) == ("RequestLimitExceeded", 503) else \
                    f"{error} {status}"
            with lock:
                if result in ("ok", "throttled"):
                    outcomes[result] += 1
                else:
                    outcomes["other"].append(result)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    started = time.monotonic()
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 60  # Python clients need a while to empty the bucket
        while outcomes["throttled"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        during = []
        for _ in range(8):  # 16 calls in all: inside the quiet account's own 20 tokens
            during.append(timed_describe(quiet))  # raises if throttled
            time.sleep(0.25)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    elapsed = time.monotonic() - started
    print(f"noisy account: {outcomes['ok']} answered, {outcomes['throttled']} throttled; "
          f"quiet account DescribeVpcs median {statistics.median(baseline) * 1000:.1f} ms idle, "
          f"{statistics.median(during) * 1000:.1f} ms during")
    assert outcomes["other"] == []
    assert outcomes["throttled"] > 0
    # The bucket's 20 tokens plus what refilled while hammering answered, not more.
    assert outcomes["ok"] <= 20 + 4 * elapsed + 1, (outcomes, elapsed)
    # A generous bound: the quiet account's calls are not queued behind the noisy ones.
    assert statistics.median(during) <= 10 * statistics.median(baseline) + 0.05


def test_the_cli_shows_request_limit_exceeded_and_the_bucket_refills(controller):
    _, keys = controller.new_account("cli")
    stop, throttled = threading.Event(), threading.Event()

    def hammer():
        ec2 = client(controller, keys)
        while not stop.is_set():
            try:
                ec2.describe_subnets()
            except ClientError as e:
                assert e.response["Error"]["Code"] == "RequestLimitExceeded"
                throttled.set()

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        assert throttled.wait(30)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=keys[0], AWS_SECRET_ACCESS_KEY=keys[1],
                   AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard")
        seen = ""
        for _ in range(20):  # the bucket is empty but for the tokens refilled in between
            done = subprocess.run([AWS, "ec2", "--endpoint-url", controller.endpoint, "--region",
                                   REGION, "describe-subnets"], env=env, capture_output=True,
                                  text=True, timeout=30)
            seen = done.stderr
            if done.returncode != 0:
                break
        assert "RequestLimitExceeded" in seen, seen
        # Other actions have their own buckets.
        client(controller, keys).describe_vpcs()
    finally:
        stop.set()
        thread.join(timeout=30)
    time.sleep(1.0)  # refilled at 4 per second
    client(controller, keys).describe_subnets()
