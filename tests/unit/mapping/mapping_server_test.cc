// The mapping service end to end: MappingServer and MappingClient over real gRPC on 127.0.0.1.
#include "mapping/mapping_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

#include "mapping/mapping_client.h"
#include "test_programs.h"

namespace openvpc::mapping {
namespace {

using program::address_literal;
using program::Program;
using testing::wait_until;

Program program_number(int n) {
  Program p = testing::rich_program();
  p.generation = n;
  p.mappings[0].eni = 1000 + n;  // every version changes a mapping too
  return p;
}

// A router: a MappingClient and everything its callback saw.
class Router {
 public:
  Router(int port, const std::string& host_id)
      : Router("127.0.0.1:" + std::to_string(port), host_id) {}
  Router(const std::string& targets, const std::string& host_id)
      : client_({targets, host_id, std::chrono::milliseconds(20), std::chrono::milliseconds(200)},
                [this](const Program& p, uint64_t version) { return record(p, version); }) {
    client_.start();
  }
  std::vector<uint64_t> versions() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return versions_;
  }
  std::string last_text() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return texts_.empty() ? "" : texts_.back();
  }
  bool has_version(uint64_t v) const { return client_.status().version == v; }
  MappingClient& client() { return client_; }
  // The next callback blocks until release() (to watch the ACK wait for it).
  void hold_next() { hold_ = std::make_unique<std::promise<void>>(); }
  std::future<void> entered() { return entered_.get_future(); }
  void release() { hold_->set_value(); }
  // The router refuses versions whose program has `generation` (as a router refuses a program
  // it cannot set up).
  void refuse_generation(uint64_t generation) { refuse_generation_ = generation; }

 private:
  Result<void> record(const Program& p, uint64_t version) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      versions_.push_back(version);
      texts_.push_back(program::to_text(p));
    }
    if (hold_) {
      entered_.set_value();
      hold_->get_future().wait();
      hold_.reset();
    }
    if (p.generation == refuse_generation_) return make_error("test.refused", "no room");
    return {};
  }

  mutable std::mutex mutex_;
  std::vector<uint64_t> versions_;
  std::vector<std::string> texts_;
  std::unique_ptr<std::promise<void>> hold_;
  std::promise<void> entered_;
  std::atomic<uint64_t> refuse_generation_{~uint64_t{0}};
  MappingClient client_;  // last: stops before the rest goes away
};

MappingServerOptions options(size_t history = 64, uint64_t epoch = 0) {
  MappingServerOptions o;
  o.history_limit = history;
  o.epoch = epoch;
  return o;
}

bool acked(const MappingServer& server, const std::string& host, uint64_t version) {
  auto status = server.host(host);
  return status && status->acked_version == version && status->connected;
}

TEST(MappingServer, SnapshotThenDeltasInOrderAndAcksVisible) {
  MappingServer server(options());
  auto port = server.start();
  ASSERT_TRUE(port.ok()) << port.error().message;
  EXPECT_EQ(server.publish("h1", program_number(1)), 1u);
  Router router(*port, "h1");
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 1); }));
  for (int n = 2; n <= 6; ++n) EXPECT_EQ(server.publish("h1", program_number(n)), uint64_t(n));
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 6); }));
  EXPECT_EQ(router.versions(), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(router.last_text(), program::to_text(program_number(6)));
  auto status = router.client().status();
  EXPECT_EQ(status.snapshots, 1u);
  EXPECT_EQ(status.deltas, 5u);
  EXPECT_EQ(status.epoch, server.epoch());
  auto host = server.host("h1");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->desired_version, 6u);
}

TEST(MappingServer, AckWaitsForTheCallbackToReturn) {
  MappingServer server(options());
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  server.publish("h1", program_number(1));
  Router router(*port, "h1");
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 1); }));
  router.hold_next();
  auto entered = router.entered();
  server.publish("h1", program_number(2));
  entered.wait();  // the router is applying version 2 right now
  EXPECT_EQ(server.host("h1")->acked_version, 1u);
  router.release();
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 2); }));
}

TEST(MappingServer, RouterResumesByVersionAfterARestart) {
  MappingServer server(options(8));
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  server.publish("h1", program_number(1));
  Router router(*port, "h1");
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 1); }));
  server.stop();
  ASSERT_TRUE(wait_until([&] { return !router.client().status().connected; }));
  EXPECT_EQ(router.last_text(), program::to_text(program_number(1)));  // kept while cut off
  server.publish("h1", program_number(2));
  server.publish("h1", program_number(3));
  ASSERT_TRUE(server.start().ok());
  ASSERT_EQ(server.port(), *port);
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 3); }));
  auto status = router.client().status();
  EXPECT_EQ(status.snapshots, 1u);  // no fresh snapshot: the two deltas only
  EXPECT_EQ(status.deltas, 2u);
  EXPECT_GE(status.sessions, 2u);
  EXPECT_EQ(router.last_text(), program::to_text(program_number(3)));
}

TEST(MappingServer, RouterGetsASnapshotWhenTheHistoryIsGone) {
  MappingServer server(options(2));
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  server.publish("h1", program_number(1));
  Router router(*port, "h1");
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 1); }));
  server.stop();
  for (int n = 2; n <= 6; ++n) server.publish("h1", program_number(n));
  ASSERT_TRUE(server.start().ok());
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 6); }));
  auto status = router.client().status();
  EXPECT_EQ(status.snapshots, 2u);
  EXPECT_EQ(status.deltas, 0u);
  EXPECT_EQ(router.versions(), (std::vector<uint64_t>{1, 6}));
  EXPECT_EQ(router.last_text(), program::to_text(program_number(6)));
}

TEST(MappingServer, ANewControllerEpochMeansASnapshot) {
  auto first = std::make_unique<MappingServer>(options(64, 1111));
  auto port = first->start();
  ASSERT_TRUE(port.ok());
  for (int n = 1; n <= 3; ++n) first->publish("h1", program_number(n));
  Router router(*port, "h1");
  ASSERT_TRUE(wait_until([&] { return acked(*first, "h1", 3); }));
  first.reset();  // the controller restarts and loses its history
  MappingServerOptions second_options = options(64, 2222);
  second_options.address = "127.0.0.1:" + std::to_string(*port);
  MappingServer second(second_options);
  ASSERT_TRUE(second.start().ok());
  second.publish("h1", program_number(7));  // version 1 of the new epoch
  ASSERT_TRUE(wait_until([&] { return acked(second, "h1", 1); }));
  EXPECT_EQ(router.client().status().epoch, 2222u);
  EXPECT_EQ(router.client().status().snapshots, 2u);
  EXPECT_EQ(router.last_text(), program::to_text(program_number(7)));
}

TEST(MappingServer, APublishToOneHostDoesNotReachAnother) {
  MappingServer server(options());
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  Program for_h2 = program_number(50);
  for_h2.host_underlay = address_literal("192.168.0.2");
  server.publish("h1", program_number(1));
  server.publish("h2", for_h2);
  Router h1(*port, "h1");
  Router h2(*port, "h2");
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 1) && acked(server, "h2", 1); }));
  server.publish("h1", program_number(2));
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 2); }));
  // A later update for h2 travels the same ordered stream any stray h1 update would have.
  for_h2.generation = 51;
  server.publish("h2", for_h2);
  ASSERT_TRUE(wait_until([&] { return acked(server, "h2", 2); }));
  EXPECT_EQ(h2.versions(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(h2.last_text(), program::to_text(for_h2));
  EXPECT_EQ(h1.versions(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(server.hosts().size(), 2u);
}

TEST(MappingServer, LookupAnswersFromTheControllersFunction) {
  MappingServerOptions o = options();
  program::Mapping known{7, address_literal("10.0.3.4"), address_literal("192.168.0.9"), 44, true};
  o.lookup = [&](uint32_t vpc,
                 const program::IpAddress& address) -> std::optional<program::Mapping> {
    if (vpc == known.vpc && address == known.address) return known;
    return std::nullopt;
  };
  MappingServer server(o);
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  Router router(*port, "h1");
  auto found = router.client().lookup(7, address_literal("10.0.3.4"), std::chrono::seconds(10));
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->underlay, known.underlay);
  EXPECT_EQ((*found)->eni, 44u);
  auto missing = router.client().lookup(8, address_literal("10.0.3.4"), std::chrono::seconds(10));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  server.stop();
  auto down = router.client().lookup(7, address_literal("10.0.3.4"), std::chrono::seconds(10));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, "mapping.unavailable");
}

TEST(MappingServer, LookupGivesUpAtTheDeadline) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  MappingServerOptions o = options();
  o.lookup = [released](uint32_t, const program::IpAddress&) -> std::optional<program::Mapping> {
    released.wait();  // the controller never answers in time
    return std::nullopt;
  };
  MappingServer server(o);
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  Router router(*port, "h1");
  auto late = router.client().lookup(7, address_literal("10.0.3.4"), std::chrono::milliseconds(50));
  release.set_value();
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, "mapping.deadline");
}

TEST(MappingServer, StartTwiceFailsAndAnUnboundableAddressIsAnError) {
  MappingServer server(options());
  ASSERT_TRUE(server.start().ok());
  auto again = server.start();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "mapping.running");
  MappingServerOptions o = options();
  o.address = "127.0.0.1:" + std::to_string(server.port());  // taken, and no SO_REUSEPORT
  MappingServer other(o);
  auto bound = other.start();
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.error().code, "mapping.bind");
}

TEST(MappingServer, ARefusedVersionIsReportedNotAcked) {
  MappingServer server(options());
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  server.publish("h1", program_number(1));
  Router router(*port, "h1");
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 1); }));
  router.refuse_generation(program_number(2).generation);
  server.publish("h1", program_number(2));
  ASSERT_TRUE(wait_until([&] { return server.host("h1")->refused_version == 2; }));
  auto host = server.host("h1");
  EXPECT_EQ(host->acked_version, 1u);  // it still runs version 1
  EXPECT_EQ(host->refused_reason, "no room");
  EXPECT_EQ(router.client().status().refused, 1u);
  // After a refusal a new session asks for a snapshot (it does not run what it received).
  server.stop();
  ASSERT_TRUE(wait_until([&] { return !router.client().status().connected; }));
  ASSERT_TRUE(server.start().ok());
  ASSERT_TRUE(wait_until([&] { return router.client().status().snapshots == 2; }));
  // A version it takes clears the refusal.
  router.refuse_generation(~uint64_t{0});
  server.publish("h1", program_number(3));
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 3); }));
  EXPECT_EQ(server.host("h1")->refused_version, 0u);
}

// The routers' flow-log delivery statuses ride on their Acks (DescribeFlowLogs reads them from
// here, never from the controller's file system); a change is sent at once with the last Ack.
TEST(MappingServer, FlowLogStatusesComeWithTheAcks) {
  MappingServer server(options());
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  server.publish("h1", program_number(1));
  Router router(*port, "h1");
  const std::vector<FlowLogStatus> failing = {{"fl-1", ""}, {"fl-2", "Access error: x: denied"}};
  router.client().report_flow_logs(failing);  // before any Ack, or with the first one
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 1); }));
  ASSERT_TRUE(wait_until([&] { return server.host("h1")->flow_logs == failing; }));
  // A change between versions is sent without waiting for the next program.
  const std::vector<FlowLogStatus> fixed = {{"fl-1", ""}, {"fl-2", ""}};
  router.client().report_flow_logs(fixed);
  ASSERT_TRUE(wait_until([&] { return server.host("h1")->flow_logs == fixed; }));
  EXPECT_EQ(server.host("h1")->acked_version, 1u);
  // The next version's Ack carries them too, and a refusal's.
  router.refuse_generation(program_number(2).generation);
  server.publish("h1", program_number(2));
  ASSERT_TRUE(wait_until([&] { return server.host("h1")->refused_version == 2; }));
  EXPECT_EQ(server.host("h1")->flow_logs, fixed);
  router.client().report_flow_logs(failing);
  ASSERT_TRUE(wait_until([&] { return server.host("h1")->flow_logs == failing; }));
  EXPECT_EQ(server.host("h1")->acked_version, 1u);  // a repeated refusal does not ACK
  EXPECT_EQ(server.host("h1")->refused_version, 2u);
}

// A hyperplane node's resource metrics ride its Acks like flow-log statuses: the latest list
// replaces the last, without waiting for a program; malformed names are left out.
TEST(MappingServer, AcksCarryResourceMetrics) {
  MappingServer server(options());
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  server.publish("h1", program_number(1));
  Router router(*port, "h1");
  ASSERT_TRUE(wait_until([&] { return acked(server, "h1", 1); }));
  const std::vector<ResourceMetrics> first = {
      {"nat-0a", {{"ActiveConnectionCount", 2}, {"ErrorPortAllocation", 0}}}};
  router.client().report_resource_metrics(first);
  ASSERT_TRUE(wait_until([&] { return server.host("h1")->resource_metrics == first; }));
  router.client().report_resource_metrics(
      {{"nat-0a", {{"ActiveConnectionCount", 5}, {"bad name\n", 1}}}, {"bad\"id", {}}});
  const std::vector<ResourceMetrics> cleaned = {{"nat-0a", {{"ActiveConnectionCount", 5}}}};
  ASSERT_TRUE(wait_until([&] { return server.host("h1")->resource_metrics == cleaned; }));
  // A target group's health as a node reports it (resource_metrics.h) gets through too.
  const std::string group =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0a1b";
  router.client().report_resource_metrics(
      {{group,
        {{target_report_name(*program::parse_address("10.0.1.5"), 80), 1},
         {target_report_name(*program::parse_address("fd00::5"), 80), 0},
         {"target 10.0.1.6:80\n", 1}}}});
  const std::vector<ResourceMetrics> health = {
      {group, {{"target 10.0.1.5:80", 1}, {"target [fd00::5]:80", 0}}}};
  ASSERT_TRUE(wait_until([&] { return server.host("h1")->resource_metrics == health; }));
  EXPECT_EQ(server.host("h1")->acked_version, 1u);
}

// Several controllers on one store: the client talks to one; when it goes, the client moves to
// the next and takes that one's program (a snapshot: each controller has its own epoch).
TEST(MappingServer, ClientMovesToTheNextControllerWhenItsOwnGoes) {
  auto first = std::make_unique<MappingServer>(options(64, 1));
  MappingServer second(options(64, 2));
  auto first_port = first->start();
  auto second_port = second.start();
  ASSERT_TRUE(first_port.ok() && second_port.ok());
  first->publish("h1", program_number(1));
  second.publish("h1", program_number(1));
  Router router(
      "127.0.0.1:" + std::to_string(*first_port) + ",127.0.0.1:" + std::to_string(*second_port),
      "h1");
  ASSERT_TRUE(wait_until([&] { return acked(*first, "h1", 1); }));
  EXPECT_EQ(router.client().status().controller, "127.0.0.1:" + std::to_string(*first_port));
  first->stop();
  first.reset();
  ASSERT_TRUE(wait_until([&] { return acked(second, "h1", 1); }));
  EXPECT_EQ(router.client().status().controller, "127.0.0.1:" + std::to_string(*second_port));
  second.publish("h1", program_number(2));  // a change made through the other controller
  ASSERT_TRUE(wait_until([&] { return acked(second, "h1", 2); }));
  EXPECT_GE(router.client().status().snapshots, 2u);
}

}  // namespace
}  // namespace openvpc::mapping
