// harness.h — runs packets through a real Pipeline and checks verdicts and output bytes.
//
// Buffers get kHeadroom bytes in front and kTailroom behind, like the router's buffers. A
// Case is data: {description, program edit, input packets, expected results}; each expected
// result names the verdict, drop reason, out port and (when non-empty) the exact bytes.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/pipeline.h"
#include "topology.h"

namespace openvpc::dataplane::testing {

inline constexpr size_t kHeadroom = 128;
inline constexpr size_t kTailroom = 256;

struct Input {
  Port port;
  std::vector<uint8_t> bytes;
};

struct Expected {
  Verdict verdict;
  DropReason reason = DropReason::none;
  Port out{};
  std::vector<uint8_t> bytes{};  // empty: not compared
};

struct Case {
  std::string description;
  std::vector<Input> inputs;
  std::vector<Expected> expected;
  std::function<void(program::Program&)> edit{};
};

inline void PrintTo(const Case& c, std::ostream* out) {
  *out << c.description;
}

inline Port port_of(const EniInfo& eni) {
  return Port::eni(eni.id);
}
inline Port gateway(uint32_t id) {
  return Port{PortKind::gateway, id};
}

// Owns buffers for a batch of inputs.
class Batch {
 public:
  explicit Batch(const std::vector<Input>& inputs) {
    for (const auto& in : inputs) {
      auto buffer = std::make_unique<std::vector<uint8_t>>(kHeadroom + in.bytes.size() + kTailroom);
      std::copy(in.bytes.begin(), in.bytes.end(), buffer->begin() + kHeadroom);
      Packet p;
      p.data = buffer->data() + kHeadroom;
      p.size = uint16_t(in.bytes.size());
      p.headroom = uint16_t(kHeadroom);
      p.capacity = uint16_t(buffer->size() - kHeadroom);
      p.in_port = in.port;
      packets.push_back(p);
      buffers.push_back(std::move(buffer));
    }
  }
  std::vector<uint8_t> bytes(size_t i) const {
    return {packets[i].data, packets[i].data + packets[i].size};
  }
  std::vector<Packet> packets;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> buffers;
};

// A publisher + pipeline over a (possibly edited) standard program.
struct World {
  explicit World(const program::Program& p, PipelineConfig config = {1024, 1024})
      : pipeline(publisher, config) {
    publish(p);
  }
  void publish(const program::Program& p) {
    auto compiled = compile(p);
    if (!compiled) throw std::runtime_error(compiled.error().message);
    publisher.publish(*compiled);
  }
  ProgramPublisher publisher;
  Pipeline pipeline;
};

// Runs inputs as one batch at time now_s; returns the batch for inspection.
inline Batch run(World& world, const std::vector<Input>& inputs, uint64_t now_s = 1000) {
  Batch batch(inputs);
  world.pipeline.process(batch.packets, now_s * 1'000'000'000);
  return batch;
}

}  // namespace openvpc::dataplane::testing
