// fuzz_router_messages — libFuzzer target for what the controller reads from routers and
// fleet nodes on their Subscribe streams (mapping_server.cc's handle()): Hellos and Acks with
// flow-log statuses and per-resource metrics (HostTable::attach/report/refuse/acknowledge), then
// what the controller makes of the reports: its /metrics page (ApiMetrics::text) and the target
// health it folds into a region with a network load balancer whose shard is three of the
// streams (fold_target_health, apply_target_health). The peers are authenticated, but a buggy
// or compromised node must cost the controller a refused or ignored report, never its process.
//
// Input: records [stream][size lo][size hi][RouterMessage bytes], four streams; a stream's
// first Hello names its host, as on the server. Invariants: no crash, no sanitizer report, no
// exception; a host's acked version never exceeds its desired version.
//
// Seeds: FUZZ_ROUTER_MESSAGES_SEEDS=DIR makes the target write a run of Hellos and Acks (the
// shard's nodes reporting the registered targets healthy and unhealthy) into DIR and exit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "controller/metrics.h"
#include "controller/target_health.h"
#include "fuzz_protobuf_setup.h"
#include "mapping.pb.h"
#include "mapping/host_table.h"
#include "model/load_balancer.h"
#include "model/operations.h"

namespace {

using namespace openvpc;

struct Sink final : mapping::Subscriber {
  void send(std::shared_ptr<const mapping::wire::ProgramUpdate>) override {}
  void close(const std::string&) override {}
};

struct Fixture {
  model::Region region;
  std::string target_group_arn;
  std::vector<std::string> shard = {"hp-a", "hp-b", "hp-c"};
};

Fixture make_fixture() {
  Fixture f;
  model::IdSource ids(11);
  model::Caller c;
  c.account_id = "111111111111";
  c.ids = &ids;
  c.now = 1'700'000'000;
  auto vpc = model::create_vpc(f.region, c, "10.0.0.0/16");
  auto subnet = vpc ? model::create_subnet(f.region, c, *vpc, "10.0.1.0/24", "us-east-1a")
                    : Result<std::string>(make_error("fuzz", "no vpc"));
  if (!subnet) return f;
  model::LoadBalancerRequest request;
  request.name = "front";
  request.type = "network";
  request.scheme = "internal";
  request.subnets = {{*subnet, "", ""}};
  auto lb = model::create_load_balancer(f.region, c, request);
  model::TargetGroupRequest group;
  group.name = "web";
  group.protocol = "TCP";
  group.port = 80;
  group.vpc_id = *vpc;
  group.target_type = "ip";
  auto tg = model::create_target_group(f.region, c, group);
  if (!lb || !tg) return f;
  f.target_group_arn = *tg;
  (void)model::create_listener(f.region, c, {*lb, "TCP", *tg, 80});
  (void)model::register_targets(f.region, c, *tg, {{"10.0.1.4", {}}, {"10.0.1.5", 8080}});
  f.region.load_balancers.at(*lb).shard = f.shard;
  return f;
}

const Fixture& fixture() {
  static const Fixture f = make_fixture();
  return f;
}

std::string record(uint8_t stream, const mapping::wire::RouterMessage& message) {
  const std::string bytes = message.SerializeAsString();
  return std::string{char(stream), char(bytes.size() & 0xff), char(bytes.size() >> 8)} + bytes;
}

void write_seeds(const std::string& dir) {
  std::string run;
  for (uint8_t stream = 0; stream < 4; ++stream) {
    mapping::wire::RouterMessage hello;
    hello.mutable_hello()->set_host_id(stream < 3 ? fixture().shard[stream] : "127.0.0.9");
    hello.mutable_hello()->set_role(stream < 3 ? "hyperplane" : "router");
    run += record(stream, hello);
  }
  for (uint8_t stream = 0; stream < 4; ++stream) {
    mapping::wire::RouterMessage ack;
    ack.mutable_ack()->set_version(1);
    auto* resource = ack.mutable_ack()->add_resource_metrics();
    resource->set_resource(fixture().target_group_arn);
    auto* healthy = resource->add_metrics();
    healthy->set_name("target 10.0.1.4:80");
    healthy->set_value(stream % 2);
    auto* other = resource->add_metrics();
    other->set_name("target 10.0.1.5:8080");
    other->set_value(1);
    auto* nat = ack.mutable_ack()->add_resource_metrics();
    nat->set_resource("nat-0123456789abcdef0");
    auto* bytes = nat->add_metrics();
    bytes->set_name("BytesOutToDestination");
    bytes->set_value(1000);
    auto* status = ack.mutable_ack()->add_flow_logs();
    status->set_flow_log("fl-1");
    run += record(stream, ack);
  }
  std::ofstream(dir + "/reports", std::ios::binary) << run;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  return fuzzing::set_up_protobuf_target("FUZZ_ROUTER_MESSAGES_SEEDS", write_seeds);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = fixture();
  if (f.target_group_arn.empty()) std::abort();
  mapping::HostTable table(1, 4);
  Sink streams[4];
  std::string host_of[4];
  for (const char* host : {"hp-a", "hp-b", "hp-c", "127.0.0.9"}) {
    table.publish(host, mapping::wire::Program());
  }
  while (size >= 3) {
    const uint8_t stream = data[0] % 4;
    size_t length = size_t(data[1]) | (size_t(data[2]) << 8);
    data += 3, size -= 3;
    if (length > size) length = size;
    mapping::wire::RouterMessage message;
    const bool parsed = message.ParseFromArray(data, int(length));
    data += length, size -= length;
    if (!parsed) continue;
    std::string& host = host_of[stream];
    if (message.has_hello()) {  // as handle(): one Hello with a host id, first
      if (!host.empty() || message.hello().host_id().empty()) continue;
      host = message.hello().host_id();
      table.attach(message.hello(), &streams[stream]);
    } else if (message.has_ack() && !host.empty()) {
      table.report(host, &streams[stream], message.ack());
      if (message.ack().refused()) {
        table.refuse(host, &streams[stream], message.ack().version(), message.ack().reason());
      } else {
        table.acknowledge(host, &streams[stream], message.ack().version());
      }
    }
  }
  const std::vector<mapping::HostStatus> hosts = table.hosts();
  for (const auto& h : hosts) {
    if (h.acked_version > h.desired_version) std::abort();
  }
  controller::ApiMetrics metrics;
  (void)metrics.text(hosts, {{"vpc", 1}});
  const auto changes = controller::fold_target_health(f.region, hosts);
  model::Region region = f.region;
  (void)controller::apply_target_health(region, changes);
  return 0;
}
