// sharded_for.h — runs one job per item on a few threads, the items of one shard on one thread.
//
// MappingServer::publish_all publishes many hosts at once: the items are hosts, the shard is
// HostTable::shard_of(host). Items of one shard run on one thread in index order, so a host
// listed twice is published twice in list order, and no two threads take one shard's mutex.
// The calling thread does one share itself; the call returns when every item has run.
#pragma once

#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace openvpc::mapping {

inline void sharded_for(size_t count, size_t threads, const std::function<size_t(size_t)>& shard,
                        const std::function<void(size_t)>& work) {
  if (threads <= 1 || count <= 1) {
    for (size_t i = 0; i < count; ++i) work(i);
    return;
  }
  std::vector<std::vector<size_t>> shares(threads);
  for (size_t i = 0; i < count; ++i) shares[shard(i) % threads].push_back(i);
  auto run = [&work](const std::vector<size_t>& share) {
    for (size_t i : share) work(i);
  };
  std::vector<std::thread> workers;
  workers.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) workers.emplace_back(run, std::cref(shares[t]));
  run(shares[0]);
  for (auto& worker : workers) worker.join();
}

}  // namespace openvpc::mapping
