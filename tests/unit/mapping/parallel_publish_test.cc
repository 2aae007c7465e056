// Publishing many hosts at once (MappingServer::publish_all, sharded_for over HostTable's
// shards) must be indistinguishable from publishing them one by one, and the table must stay
// consistent when publishes, attaches and ACKs run on several threads at once.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "mapping/host_table.h"
#include "mapping/mapping_client.h"
#include "mapping/mapping_server.h"
#include "mapping/program_codec.h"
#include "mapping/program_delta.h"
#include "mapping/sharded_for.h"
#include "test_programs.h"

namespace openvpc::mapping {
namespace {

using program::Program;

constexpr uint64_t kEpoch = 91;

// Keeps every update the table sends, as the bytes a router would receive.
class Recorder : public Subscriber {
 public:
  void send(std::shared_ptr<const wire::ProgramUpdate> update) override {
    std::lock_guard<std::mutex> lock(mutex);
    updates.push_back(update);
    bytes.push_back(update->SerializeAsString());
  }
  void close(const std::string&) override {}
  std::mutex mutex;
  std::vector<std::shared_ptr<const wire::ProgramUpdate>> updates;
  std::vector<std::string> bytes;
};

wire::Hello hello(const std::string& host, uint64_t version = 0) {
  wire::Hello h;
  h.set_host_id(host);
  h.set_last_applied_version(version);
  h.set_epoch(kEpoch);
  return h;
}

std::string host_name(int h) {
  return "host-" + std::to_string(h);
}

// Rounds of (host, program) lists: every host, some listed twice (with another program), some
// given the program they already have, some new each round, out of host order.
std::vector<std::vector<std::pair<std::string, Program>>> rounds(int hosts, int count) {
  std::mt19937_64 random(7);
  std::vector<Program> current(hosts + count * 10);
  for (auto& p : current) p = testing::random_program(random);
  std::vector<std::vector<std::pair<std::string, Program>>> out;
  for (int r = 0; r < count; ++r) {
    std::vector<std::pair<std::string, Program>> round;
    for (int h = 0; h < hosts + r * 10; ++h) {
      int host = (h * 7919) % (hosts + r * 10);  // not in host order
      if (random() % 4 != 0) current[host] = testing::mutate(current[host], random);
      round.emplace_back(host_name(host), current[host]);
      if (random() % 10 == 0) {
        current[host] = testing::mutate(current[host], random);
        round.emplace_back(host_name(host), current[host]);
      }
    }
    out.push_back(std::move(round));
  }
  return out;
}

TEST(ParallelPublish, ShardedPublishSendsExactlyWhatSerialPublishSends) {
  constexpr int kHosts = 400;
  auto all = rounds(kHosts, 4);
  HostTable serial(kEpoch, 8), parallel(kEpoch, 8);
  std::map<std::string, Recorder> serial_routers, parallel_routers;
  // Half the hosts have a router before anything is published, the rest join later.
  for (int h = 0; h < kHosts; h += 2) {
    serial.attach(hello(host_name(h)), &serial_routers[host_name(h)]);
    parallel.attach(hello(host_name(h)), &parallel_routers[host_name(h)]);
  }
  for (size_t r = 0; r < all.size(); ++r) {
    const auto& round = all[r];
    std::vector<uint64_t> serial_versions, parallel_versions(round.size());
    for (const auto& [host, program] : round) {
      serial_versions.push_back(serial.publish(host, encode(program)));
    }
    sharded_for(
        round.size(), 4, [&](size_t i) { return HostTable::shard_of(round[i].first); },
        [&](size_t i) {
          parallel_versions[i] = parallel.publish(round[i].first, encode(round[i].second));
        });
    EXPECT_EQ(parallel_versions, serial_versions) << "round " << r;
    if (r == 1) {
      for (int h = 1; h < kHosts; h += 2) {
        serial.attach(hello(host_name(h), 1), &serial_routers[host_name(h)]);
        parallel.attach(hello(host_name(h), 1), &parallel_routers[host_name(h)]);
      }
    }
  }
  auto serial_hosts = serial.hosts(), parallel_hosts = parallel.hosts();
  ASSERT_EQ(parallel_hosts.size(), serial_hosts.size());
  for (size_t i = 0; i < serial_hosts.size(); ++i) {
    EXPECT_EQ(parallel_hosts[i].host_id, serial_hosts[i].host_id);
    EXPECT_EQ(parallel_hosts[i].desired_version, serial_hosts[i].desired_version);
  }
  size_t updates = 0;
  for (auto& [host, router] : serial_routers) {
    updates += router.bytes.size();
    EXPECT_EQ(parallel_routers[host].bytes, router.bytes) << host;
  }
  EXPECT_GT(updates, size_t(kHosts));  // the comparison saw snapshots and deltas
}

// Two threads publishing the same host: each publish still makes the next version, and the
// deltas the router gets take the first snapshot to the last program.
TEST(ParallelPublish, ConcurrentPublishesOfOneHostStayConsecutive) {
  constexpr int kThreads = 4, kEach = 100;
  HostTable table(kEpoch, 1000);
  Recorder router;
  table.attach(hello("h"), &router);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&table, t] {
      for (int i = 0; i < kEach; ++i) {
        Program p = testing::rich_program();
        p.generation = uint64_t(t) * 1000 + uint64_t(i) + 1;  // every publish a change
        p.mappings[0].eni = uint32_t(p.generation);
        table.publish("h", encode(p));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(table.hosts()[0].desired_version, uint64_t(kThreads * kEach));
  ASSERT_EQ(router.updates.size(), size_t(kThreads * kEach));
  ASSERT_TRUE(router.updates[0]->has_snapshot());
  wire::Program program = router.updates[0]->snapshot();
  for (size_t i = 1; i < router.updates.size(); ++i) {
    ASSERT_EQ(router.updates[i]->version(), i + 1);
    ASSERT_TRUE(router.updates[i]->has_delta());
    program = apply(program, router.updates[i]->delta());
  }
  Recorder late;
  table.attach(hello("h", 0), &late);  // a new router: the current snapshot
  ASSERT_EQ(late.updates.size(), 1u);
  auto expected = decode(late.updates[0]->snapshot()), got = decode(program);
  ASSERT_TRUE(expected.ok() && got.ok());
  EXPECT_EQ(program::to_text(*got), program::to_text(*expected));
}

// Publishes on several threads while routers attach, ACK, report and leave, and hosts() is
// read: meant for the sanitizer builds; the end state is still checked.
TEST(ParallelPublish, PublishingWhileRoutersComeAndGoIsSafe) {
  constexpr int kHosts = 256, kRounds = 6;
  HostTable table(kEpoch, 4);
  std::vector<wire::Program> programs;
  for (int r = 0; r < kRounds; ++r) {
    Program p = testing::rich_program();
    p.generation = uint64_t(r) + 1;
    programs.push_back(encode(p));
  }
  std::atomic<bool> done{false};
  std::thread churn([&] {
    std::vector<std::unique_ptr<Recorder>> routers;
    for (int i = 0; !done; ++i) {
      std::string host = host_name(i % kHosts);
      routers.push_back(std::make_unique<Recorder>());
      table.attach(hello(host, 1), routers.back().get());
      table.acknowledge(host, routers.back().get(), 1);
      table.report(host, routers.back().get(), wire::Ack{});
      (void)table.hosts();
      (void)table.acked_version(host);
      if (i % 3 == 0) table.detach(host, routers.back().get());
    }
    table.close_all("done");
    for (size_t i = 0; i < routers.size(); ++i) {
      table.detach(host_name(int(i % kHosts)), routers[i].get());
    }
  });
  for (int r = 0; r < kRounds; ++r) {
    sharded_for(
        kHosts, 4, [](size_t i) { return HostTable::shard_of(host_name(int(i))); },
        [&](size_t i) { table.publish(host_name(int(i)), programs[r]); });
  }
  done = true;
  churn.join();
  for (const auto& host : table.hosts()) EXPECT_EQ(host.desired_version, uint64_t(kRounds));
}

// MappingServer::publish_all against publish(): same versions, same table, and a router
// subscribed to the parallel server runs the last program.
TEST(ParallelPublish, PublishAllGivesTheVersionsOfPublishingOneByOne) {
  constexpr int kHosts = 300;
  auto all = rounds(kHosts, 3);
  MappingServerOptions options;
  options.epoch = kEpoch;
  options.publish_threads = 4;
  MappingServer serial(options), parallel(options);
  auto port = parallel.start();
  ASSERT_TRUE(port.ok()) << port.error().message;
  const std::string watched = host_name(2);
  std::mutex mutex;
  std::string received;
  uint64_t received_version = 0;
  MappingClient router({"127.0.0.1:" + std::to_string(*port), watched,
                        std::chrono::milliseconds(20), std::chrono::milliseconds(200)},
                       [&](const Program& p, uint64_t version) -> Result<void> {
                         std::lock_guard<std::mutex> lock(mutex);
                         received = program::to_text(p);
                         received_version = version;
                         return {};
                       });
  router.start();
  std::string expected;
  for (const auto& round : all) {
    std::vector<uint64_t> one_by_one;
    std::vector<HostProgram> batch;
    for (const auto& [host, program] : round) {
      one_by_one.push_back(serial.publish(host, program));
      batch.push_back({host, &program});
      if (host == watched) expected = program::to_text(program);
    }
    EXPECT_EQ(parallel.publish_all(batch), one_by_one);
  }
  auto serial_hosts = serial.hosts(), parallel_hosts = parallel.hosts();
  ASSERT_EQ(parallel_hosts.size(), serial_hosts.size());
  for (size_t i = 0; i < serial_hosts.size(); ++i) {
    EXPECT_EQ(parallel_hosts[i].host_id, serial_hosts[i].host_id);
    EXPECT_EQ(parallel_hosts[i].desired_version, serial_hosts[i].desired_version);
  }
  const uint64_t last = parallel.host(watched)->desired_version;
  EXPECT_TRUE(testing::wait_until([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return received_version == last;
  }));
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(received, expected);
}

}  // namespace
}  // namespace openvpc::mapping
