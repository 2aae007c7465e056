#include "dataplane/actions.h"

#include <gtest/gtest.h>

#include "harness.h"

namespace openvpc::dataplane::testing {
namespace {

class ActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto compiled = compile(standard_program());
    ASSERT_TRUE(compiled.ok());
    program_ = *compiled;
  }
  const LocalEni* web1() const {
    return &program_->local_enis[size_t(program_->find_local_eni(101))];
  }
  std::shared_ptr<const CompiledProgram> program_;
};

TEST_F(ActionsTest, EncapsulationNeedsHeadroom) {
  const auto frame = from_eni(kWeb1, tcp_ip(kWeb1.ip, kRemoteWeb.ip, 1, 2));
  FlowAction action;
  action.verdict = Verdict::encapsulate;
  action.decrement_ttl = true;
  struct Room {
    uint16_t headroom;
    Verdict verdict;
  };
  // The Ethernet header gives 14 bytes back; 52 are needed in front of the IP header.
  for (const Room& room : {Room{37, Verdict::drop}, Room{38, Verdict::encapsulate}}) {
    std::vector<uint8_t> buffer(room.headroom + frame.size());
    std::copy(frame.begin(), frame.end(), buffer.begin() + room.headroom);
    Packet p;
    p.data = buffer.data() + room.headroom;
    p.size = uint16_t(frame.size());
    p.headroom = room.headroom;
    p.capacity = uint16_t(frame.size());
    apply_action(action, packet::parse_frame(frame), *program_, web1(), p);
    EXPECT_EQ(p.verdict, room.verdict) << room.headroom;
    if (p.verdict == Verdict::encapsulate) {
      EXPECT_EQ(p.data, buffer.data());
      EXPECT_EQ(p.headroom, 0);
      EXPECT_EQ(p.size, frame.size() - 14 + 52);
    } else {
      EXPECT_EQ(p.drop_reason, DropReason::headroom_too_small);
    }
  }
}

TEST_F(ActionsTest, FramePaddingIsNotForwarded) {
  auto frame = from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, 1, 22));
  const size_t ip_size = frame.size() - 14;
  frame.resize(frame.size() + 6, 0);  // Ethernet minimum-size padding
  Batch batch({{port_of(kWeb1), frame}});
  FlowAction action;
  action.verdict = Verdict::deliver;
  action.out_id = 102;
  apply_action(action, packet::parse_frame(frame), *program_, web1(), batch.packets[0]);
  EXPECT_EQ(batch.packets[0].size, 14 + ip_size);
}

TEST_F(ActionsTest, DropAndLocalServices) {
  const auto frame = from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, 1, 22));
  Batch batch({{port_of(kWeb1), frame}, {port_of(kWeb1), frame}});
  FlowAction drop;
  drop.drop_reason = DropReason::no_route;
  apply_action(drop, packet::parse_frame(frame), *program_, web1(), batch.packets[0]);
  EXPECT_EQ(batch.packets[0].verdict, Verdict::drop);
  EXPECT_EQ(batch.packets[0].drop_reason, DropReason::no_route);
  FlowAction services;
  services.verdict = Verdict::to_local_services;
  apply_action(services, packet::parse_frame(frame), *program_, web1(), batch.packets[1]);
  EXPECT_EQ(batch.packets[1].verdict, Verdict::to_local_services);
  EXPECT_EQ(batch.packets[1].out_port, port_of(kWeb1));
  EXPECT_EQ(batch.bytes(1), frame);
}

}  // namespace
}  // namespace openvpc::dataplane::testing
