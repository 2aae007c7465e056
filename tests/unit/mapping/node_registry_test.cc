// NodeRegistry: the live edge / hyperplane nodes routers spread flows over.
#include "mapping/node_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace openvpc::mapping {
namespace {

NodeStatus node(const std::string& id, NodeRole role, uint32_t underlay) {
  return {id, role, program::IpAddress::v4(underlay)};
}

TEST(NodeRole, ParsesAndNames) {
  NodeRole role = NodeRole::edge;
  EXPECT_TRUE(parse_node_role("", role));
  EXPECT_EQ(role, NodeRole::router);
  EXPECT_TRUE(parse_node_role("hyperplane", role));
  EXPECT_EQ(role, NodeRole::hyperplane);
  EXPECT_TRUE(parse_node_role("edge", role));
  EXPECT_EQ(role, NodeRole::edge);
  EXPECT_FALSE(parse_node_role("Edge", role));
  EXPECT_FALSE(parse_node_role("nat", role));
  EXPECT_EQ(role, NodeRole::edge) << "a refused name leaves the role alone";
  for (NodeRole r : {NodeRole::router, NodeRole::edge, NodeRole::hyperplane}) {
    NodeRole back = NodeRole::router;
    EXPECT_TRUE(parse_node_role(to_string(r), back));
    EXPECT_EQ(back, r);
  }
}

TEST(NodeRegistry, AttachedNodesAreListedSortedById) {
  int changes = 0;
  NodeRegistry registry([&] { ++changes; });
  int a = 0, b = 0, c = 0;
  registry.attach(node("edge-b", NodeRole::edge, 0xc0a80066), &b);
  registry.attach(node("edge-a", NodeRole::edge, 0xc0a80065), &a);
  registry.attach(node("hp-1", NodeRole::hyperplane, 0xc0a80070), &c);
  EXPECT_EQ(changes, 3);
  const auto nodes = registry.nodes();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].node_id, "edge-a");
  EXPECT_EQ(nodes[0].underlay.v4_host_order(), 0xc0a80065u);
  EXPECT_EQ(nodes[1].node_id, "edge-b");
  EXPECT_EQ(nodes[2].node_id, "hp-1");
  EXPECT_EQ(nodes[2].role, NodeRole::hyperplane);
}

TEST(NodeRegistry, DetachOfTheCurrentStreamRemovesTheNode) {
  int changes = 0;
  NodeRegistry registry([&] { ++changes; });
  int stream = 0;
  registry.attach(node("edge-a", NodeRole::edge, 1), &stream);
  registry.detach("edge-a", &stream);
  EXPECT_TRUE(registry.nodes().empty());
  EXPECT_EQ(changes, 2);
  registry.detach("edge-a", &stream);  // already gone: no change
  registry.detach("never-seen", &stream);
  EXPECT_EQ(changes, 2);
}

TEST(NodeRegistry, ANewerStreamReplacesAndTheOldOnesEndIsIgnored) {
  int changes = 0;
  NodeRegistry registry([&] { ++changes; });
  int old_stream = 0, new_stream = 0;
  registry.attach(node("edge-a", NodeRole::edge, 0x0a000001), &old_stream);
  registry.attach(node("edge-a", NodeRole::edge, 0x0a000002), &new_stream);  // restarted, moved
  ASSERT_EQ(registry.nodes().size(), 1u);
  EXPECT_EQ(registry.nodes()[0].underlay.v4_host_order(), 0x0a000002u);
  registry.detach("edge-a", &old_stream);  // the old stream ends late
  ASSERT_EQ(registry.nodes().size(), 1u) << "the node is alive on its new stream";
  EXPECT_EQ(changes, 2);
  registry.detach("edge-a", &new_stream);
  EXPECT_TRUE(registry.nodes().empty());
  EXPECT_EQ(changes, 3);
}

TEST(NodeRegistry, WorksWithoutACallback) {
  NodeRegistry registry(nullptr);
  int s = 0;
  registry.attach(node("x", NodeRole::edge, 1), &s);
  EXPECT_EQ(registry.nodes().size(), 1u);
  registry.detach("x", &s);
  EXPECT_TRUE(registry.nodes().empty());
}

TEST(NodeRegistry, TheCallbackMayReadTheRegistry) {
  // The callback runs after the mutex is released: calling nodes() from it must not deadlock.
  size_t seen = 0;
  NodeRegistry* self = nullptr;
  NodeRegistry registry([&] { seen = self->nodes().size(); });
  self = &registry;
  int s = 0;
  registry.attach(node("x", NodeRole::edge, 1), &s);
  EXPECT_EQ(seen, 1u);
  registry.detach("x", &s);
  EXPECT_EQ(seen, 0u);
}

TEST(NodeRegistry, ConcurrentAttachAndDetachEndConsistent) {
  std::atomic<int> changes{0};
  NodeRegistry registry([&] { ++changes; });
  std::vector<int> streams(4 * 200);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string id = "n" + std::to_string(t) + "-" + std::to_string(i);
        int* s = &streams[size_t(t * 200 + i)];
        registry.attach(node(id, NodeRole::edge, uint32_t(i)), s);
        if (i % 2 == 0) registry.detach(id, s);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(registry.nodes().size(), 400u);
  EXPECT_EQ(changes.load(), 800 + 400);
}

}  // namespace
}  // namespace openvpc::mapping
