// ControllerProgramSource against a real MappingServer on 127.0.0.1: programs arrive, the
// version is ACKed only after the router settled it, and the last program stays while the
// controller is away.
#include "router/controller_program_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "mapping/mapping_server.h"
#include "test_programs.h"

namespace openvpc::router {
namespace {

using std::chrono::milliseconds;

bool wait_until(const std::function<bool()>& condition, milliseconds limit = milliseconds(20000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

uint64_t acked(const mapping::MappingServer& server) {
  auto host = server.host("h1");
  return host ? host->acked_version : 0;
}

TEST(ControllerProgramSource, AcksAVersionOnlyOnceSettled) {
  mapping::MappingServer server({});
  auto port = server.start();
  ASSERT_TRUE(port.ok()) << port.error().message;
  program::Program first = testing::small_program(0x7f000002, true);
  first.region = "eu-west-1";
  server.publish("h1", first);

  ControllerProgramSource source("127.0.0.1:" + std::to_string(*port), "h1", "");
  ASSERT_TRUE(source.wait_first(milliseconds(20000)));
  ASSERT_TRUE(source.changed());
  auto fetched = source.fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(program::to_text(*fetched), program::to_text(first));
  EXPECT_FALSE(source.changed());
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(acked(server), 0u);  // not settled yet
  source.settled(true, "");
  ASSERT_TRUE(wait_until([&] { return acked(server) == 1; }));

  program::Program second = first;
  second.enis[0].instance_id = "i-0abc";
  server.publish("h1", second);
  ASSERT_TRUE(wait_until([&] { return source.changed(); }));
  fetched = source.fetch();
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->enis[0].instance_id, "i-0abc");
  source.settled(true, "");
  ASSERT_TRUE(wait_until([&] { return acked(server) == 2; }));

  // A program the router refuses is reported as refused, with the router's reason.
  program::Program third = second;
  third.enis[0].instance_id = "i-0def";
  server.publish("h1", third);
  ASSERT_TRUE(wait_until([&] { return source.changed(); }));
  ASSERT_TRUE(source.fetch().ok());
  source.settled(false, "cannot create the TAP");
  ASSERT_TRUE(wait_until([&] { return server.host("h1")->refused_version == 3; }));
  EXPECT_EQ(acked(server), 2u);
  EXPECT_EQ(server.host("h1")->refused_reason, "cannot create the TAP");

  // The controller goes away: nothing changes, and the last program fetched is still there
  // (the refused one: the router, not the source, keeps running what it applied).
  server.stop();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_FALSE(source.changed());
  fetched = source.fetch();
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->enis[0].instance_id, "i-0def");
}

TEST(ControllerProgramSource, NothingBeforeTheFirstProgram) {
  ControllerProgramSource source("127.0.0.1:1", "h1", "");  // nothing listens there
  EXPECT_FALSE(source.wait_first(milliseconds(50)));
  EXPECT_FALSE(source.changed());
  auto fetched = source.fetch();
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().code, "program.source");
}

}  // namespace
}  // namespace openvpc::router
