// api-load — EC2 API throughput with 1, 2, 4, 8 ... concurrent clients against a running
// controller (issue 14: "8 concurrent API clients: throughput scales").
//
// Each client is a thread with its own cli::ApiClient (SigV4-signed Query calls over one
// keep-alive connection, as an SDK client makes them). For every count in --clients the
// clients run --seconds at once, released together, and each call's answer is checked: an
// error answer is counted and makes the exit status 1 (a failed call is not throughput).
//   describe: DescribeVpcs of one VPC by id (a read: a snapshot of the region);
//   mutate:   AuthorizeSecurityGroupIngress then RevokeSecurityGroupIngress of one rule, each
//             client on its own security group (writes that do not conflict: what the store's
//             transactions cost, not contention on one resource).
// Prints one line per client count: calls/s, p50/p99 latency, errors.
//
//   api-load --endpoint http://127.0.0.1:PORT --credentials DATA_DIR/admin-credentials
//            [--clients 1,2,4,8] [--seconds 3] [--mix describe|mutate]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "cli/client.h"

namespace openvpc {
namespace {

using Clock = std::chrono::steady_clock;

struct LoadOptions {
  std::string endpoint, credentials_file, mix = "describe", region = "us-east-1";
  std::vector<int> clients{1, 2, 4, 8};
  double seconds = 3;
};

struct ClientResult {
  std::vector<double> latencies_ms;
  uint64_t errors = 0;
  std::string first_error;
};

// The resources the calls work on, made once before the runs.
struct Fixture {
  std::string vpc_id;
  std::vector<std::string> group_ids;  // one per client (mutate)
};

Result<Fixture> make_fixture(cli::ApiClient& admin, const LoadOptions& options) {
  Fixture fixture;
  auto vpc = admin.call("CreateVpc", {{"CidrBlock", "10.77.0.0/16"}});
  if (!vpc) return vpc.error();
  fixture.vpc_id = vpc->child("vpc").text_at("vpcId");
  if (options.mix != "mutate") return fixture;
  const int most = *std::max_element(options.clients.begin(), options.clients.end());
  for (int i = 0; i < most; ++i) {
    auto group = admin.call("CreateSecurityGroup", {{"GroupName", "api-load-" + std::to_string(i)},
                                                    {"GroupDescription", "api-load"},
                                                    {"VpcId", fixture.vpc_id}});
    if (!group) return group.error();
    fixture.group_ids.push_back(group->text_at("groupId"));
  }
  return fixture;
}

Result<void> one_call(cli::ApiClient& client, const LoadOptions& options, const Fixture& fixture,
                      int index, uint64_t sequence) {
  if (options.mix == "describe") {
    auto answer = client.call("DescribeVpcs", {{"VpcId.1", fixture.vpc_id}});
    if (!answer) return answer.error();
    return {};
  }
  const std::map<std::string, std::string> rule{
      {"GroupId", fixture.group_ids[size_t(index)]},
      {"IpPermissions.1.IpProtocol", "tcp"},
      {"IpPermissions.1.FromPort", "443"},
      {"IpPermissions.1.ToPort", "443"},
      {"IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.0/24"}};
  auto answer = client.call(
      sequence % 2 == 0 ? "AuthorizeSecurityGroupIngress" : "RevokeSecurityGroupIngress", rule);
  if (!answer) return answer.error();
  return {};
}

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  size_t at = std::min(values.size() - 1, size_t(p * double(values.size())));
  std::nth_element(values.begin(), values.begin() + long(at), values.end());
  return values[at];
}

int run(const LoadOptions& options) {
  auto credentials = cli::read_credentials(options.credentials_file);
  if (!credentials) {
    std::fprintf(stderr, "api-load: %s\n", credentials.error().message.c_str());
    return 2;
  }
  cli::ApiClient admin(options.endpoint, *credentials, options.region);
  auto fixture = make_fixture(admin, options);
  if (!fixture) {
    std::fprintf(stderr, "api-load: set-up failed: %s: %s\n", fixture.error().code.c_str(),
                 fixture.error().message.c_str());
    return 2;
  }
  int status = 0;
  std::printf("mix=%s seconds=%.1f\n%8s %12s %10s %10s %8s\n", options.mix.c_str(), options.seconds,
              "clients", "calls/s", "p50 ms", "p99 ms", "errors");
  for (int count : options.clients) {
    std::vector<ClientResult> results(static_cast<size_t>(count));
    std::barrier start(count);
    std::vector<std::thread> threads;
    std::atomic<int64_t> begin_ns{0};
    for (int i = 0; i < count; ++i) {
      threads.emplace_back([&, i] {
        cli::ApiClient client(options.endpoint, *credentials, options.region);
        (void)client.call("DescribeVpcs", {{"VpcId.1", fixture->vpc_id}});  // connect first
        ClientResult& result = results[size_t(i)];
        start.arrive_and_wait();
        const auto began = Clock::now();
        if (i == 0) begin_ns = began.time_since_epoch().count();
        const auto end = began + std::chrono::duration<double>(options.seconds);
        // The write mix ends on a revoke, so the next run starts from the same rules.
        for (uint64_t sequence = 0; sequence % 2 == 1 || Clock::now() < end; ++sequence) {
          const auto sent = Clock::now();
          auto done = one_call(client, options, *fixture, i, sequence);
          result.latencies_ms.push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
          if (!done) {
            if (result.errors++ == 0)
              result.first_error = done.error().code + ": " + done.error().message;
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    const double elapsed = std::chrono::duration<double>(Clock::now().time_since_epoch() -
                                                         std::chrono::nanoseconds(begin_ns.load()))
                               .count();
    std::vector<double> all;
    uint64_t errors = 0;
    for (const auto& result : results) {
      all.insert(all.end(), result.latencies_ms.begin(), result.latencies_ms.end());
      errors += result.errors;
      if (result.errors) std::fprintf(stderr, "api-load: %s\n", result.first_error.c_str());
    }
    const double calls = double(all.size() - errors);
    std::printf("%8d %12.0f %10.2f %10.2f %8llu\n", count, calls / elapsed, percentile(all, 0.5),
                percentile(all, 0.99), static_cast<unsigned long long>(errors));
    std::fflush(stdout);
    if (errors) status = 1;
  }
  return status;
}

}  // namespace
}  // namespace openvpc

int main(int argc, char** argv) {
  openvpc::LoadOptions options;
  CLI::App app{"EC2 API throughput with N concurrent clients"};
  app.add_option("--endpoint", options.endpoint, "http://127.0.0.1:PORT")->required();
  app.add_option("--credentials", options.credentials_file, "admin-credentials file")->required();
  app.add_option("--clients", options.clients, "client counts to run, in order")->delimiter(',');
  app.add_option("--seconds", options.seconds, "seconds per client count");
  app.add_option("--mix", options.mix, "describe|mutate")
      ->check(CLI::IsMember({"describe", "mutate"}));
  CLI11_PARSE(app, argc, argv);
  return openvpc::run(options);
}
