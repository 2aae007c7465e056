#include "router/router.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>

#include "test_programs.h"

namespace openvpc::router {
namespace {

// A ProgramSource fed by the test (what the controller's gRPC client will be in production).
class ScriptedSource final : public ProgramSource {
 public:
  explicit ScriptedSource(std::deque<Result<program::Program>>* queue) : queue_(queue) {}
  bool changed() override { return !queue_->empty(); }
  Result<program::Program> fetch() override {
    Result<program::Program> next = std::move(queue_->front());
    queue_->pop_front();
    return next;
  }
  std::string describe() const override { return "script"; }

 private:
  std::deque<Result<program::Program>>* queue_;
};

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for the raw underlay socket";
    // A per-process underlay address on 127/8 so parallel runs do not collide.
    address_ = 0x7f000000u | (uint32_t(::getpid()) & 0xffff) << 8 | 0x11;
    options_.host_id = "unit";
    options_.underlay_address = address_;
    options_.worker_count = 2;
  }
  std::unique_ptr<Router> start() {
    queue_.push_back(testing::small_program(address_, false, 1));
    auto router = Router::create(options_, std::make_unique<ScriptedSource>(&queue_));
    EXPECT_TRUE(router.ok()) << router.error().message;
    return router.ok() ? std::move(*router) : nullptr;
  }
  uint32_t address_ = 0;
  RouterOptions options_;
  std::deque<Result<program::Program>> queue_;
};

TEST_F(RouterTest, RefusedProgramsLeaveTheRunningOneInPlace) {
  auto router = start();
  ASSERT_TRUE(router);
  EXPECT_EQ(router->status().generation, 1u);
  EXPECT_TRUE(router->reload(false).ok()) << "nothing new: nothing done";

  queue_.push_back(make_error("program.json", "p.json: syntax error at byte 3"));
  auto refused = router->reload(false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(router->status().programs_refused, 1u);
  EXPECT_EQ(router->status().generation, 1u);
  EXPECT_NE(router->status().last_error.find("syntax error"), std::string::npos);

  program::Program dangling = testing::small_program(address_, false, 2);
  dangling.subnets[0].route_table = 99;
  queue_.push_back(dangling);
  EXPECT_EQ(router->reload(false).error().code, "program.invalid");
  queue_.push_back(testing::small_program(address_ + 1, false, 2));
  EXPECT_EQ(router->reload(false).error().code, "program.wrong_host");
  EXPECT_EQ(router->status().programs_refused, 3u);
  EXPECT_EQ(router->status().generation, 1u);

  queue_.push_back(testing::small_program(address_, false, 3));
  ASSERT_TRUE(router->reload(false).ok());
  EXPECT_EQ(router->status().generation, 3u);
  EXPECT_EQ(router->status().last_error, "");
  queue_.push_back(testing::small_program(address_, false, 2));
  EXPECT_EQ(router->reload(false).error().code, "program.stale");
  router->shutdown();
}

TEST_F(RouterTest, RefusesToStartOnABadFirstProgram) {
  queue_.push_back(testing::small_program(address_ + 1, false, 1));
  auto router = Router::create(options_, std::make_unique<ScriptedSource>(&queue_));
  ASSERT_FALSE(router.ok());
  EXPECT_EQ(router.error().code, "program.wrong_host");
}

}  // namespace
}  // namespace openvpc::router
