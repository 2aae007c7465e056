#include "dataplane/actions.h"

#include <array>
#include <vector>

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

// A flow's prebuilt outer headers (FlowEntry::outer_header) give byte for byte what
// encapsulating field by field gives, whatever the packet's TOS (RFC 6040: ECN and DSCP are
// copied), length and segmentation offload.
TEST_F(ActionsTest, PrebuiltOuterHeaderEncapsulatesTheSame) {
  FlowAction action;
  action.verdict = Verdict::encapsulate;
  action.decrement_ttl = true;
  action.outer_src_port = 0xc123;
  action.vpc_flags = 0x0100;
  action.outer_dst_v4 = 0xc0a80002;
  action.outer_checksum_base = outer_checksum_base(program_->host_underlay_v4, 0xc0a80002);
  action.vni = 0x123456;
  action.source_eni = 101;
  action.destination_eni = 201;
  std::array<uint8_t, packet::kGeneveEncapSize> prebuilt{};
  prebuild_outer_header(action, program_->host_underlay_v4, prebuilt);
  struct Shape {
    uint8_t gso_type;
    uint16_t gso_size;
  };
  for (const size_t payload : {size_t{0}, size_t{1400}}) {
    for (const uint8_t tos : {0x00, 0x01, 0x02, 0x03, 0xb8, 0xbb, 0xff}) {
      for (const Shape shape : {Shape{kGsoNone, 0}, Shape{kGsoTcpv4, 1448}, Shape{kGsoTcpv6, 9}}) {
        auto frame =
            from_eni(kWeb1, tcp_ip(kWeb1.ip, kRemoteWeb.ip, 1, 2, packet::kTcpAck, 64, 1, payload));
        frame[14 + 1] = tos;
        const auto meta = packet::parse_frame(frame);
        std::vector<uint8_t> buffers[2];
        Packet packets[2];
        for (size_t i = 0; i < 2; ++i) {
          buffers[i].assign(64, 0xee);
          buffers[i].insert(buffers[i].end(), frame.begin(), frame.end());
          packets[i].data = buffers[i].data() + 64;
          packets[i].size = uint16_t(frame.size());
          packets[i].headroom = 64;
          packets[i].capacity = uint16_t(frame.size());
          packets[i].gso_type = shape.gso_type;
          packets[i].gso_size = shape.gso_size;
          apply_action(action, meta, *program_, web1(), packets[i],
                       i == 0 ? nullptr : prebuilt.data());
        }
        ASSERT_EQ(packets[0].verdict, Verdict::encapsulate);
        EXPECT_EQ(packets[1].verdict, Verdict::encapsulate);
        EXPECT_EQ(packets[1].size, packets[0].size);
        EXPECT_EQ(packets[1].data - buffers[1].data(), packets[0].data - buffers[0].data());
        EXPECT_EQ(buffers[1], buffers[0])
            << "tos " << int(tos) << " gso " << int(shape.gso_type) << " payload " << payload;
        EXPECT_EQ(packets[0].data[1], tos);  // the outer TOS is the inner one
      }
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
