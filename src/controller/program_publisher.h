// program_publisher.h — keeps the mapping service's per-host programs in step with the Region.
//
// refresh() reads the latest committed Region (RegionStore::snapshot), recompiles the hosts the
// change affects (model::ProgramCache) and hands each recompiled program to the publish
// function (MappingServer::publish, which makes a new version only when the program differs) —
// or, when a PublishMany function is given and several hosts changed, all of them to it in one
// call (MappingServer::publish_all: the same versions, published on several threads).
// The controller calls it at start, after every API/admin request, and whenever the store's
// version key moves (watch(): a commit by this or another controller sharing the store).
// lookup() answers a router's mapping miss from the Region last compiled. set_fleet()
// follows the live edge and hyperplane fleet (the mapping service's node registry). Each
// program published to a hyperplane node, with the version it got, also goes to the
// NodePublished observer (HyperplaneAcks::published: what the node runs once it ACKs); any
// other host's goes there as an empty program (a node that left the fleet carries nothing).
//
// Threading: refresh() and lookup() may be called from any thread; refreshes are serialised.
// watch() runs a thread of its own until stop() (or the destructor).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "mapping/mapping_server.h"
#include "model/program_cache.h"
#include "model/region_store.h"

namespace openvpc::controller {

class ProgramPublisher {
 public:
  // Returns the host's program version afterwards (MappingServer::publish).
  using Publish = std::function<uint64_t(const std::string& host_id, const program::Program&)>;
  using NodePublished =
      std::function<void(const std::string& node_id, uint64_t version, const program::Program&)>;
  // Returns each host's version, in the order given (MappingServer::publish_all).
  using PublishMany =
      std::function<std::vector<uint64_t>(std::span<const mapping::HostProgram> programs)>;

  ProgramPublisher(model::RegionStore& regions, model::CompileOptions options, Publish publish,
                   NodePublished node_published = {}, PublishMany publish_many = {});
  ~ProgramPublisher();
  ProgramPublisher(const ProgramPublisher&) = delete;
  ProgramPublisher& operator=(const ProgramPublisher&) = delete;

  // Publishes the programs the latest Region changed; returns the hosts recompiled. Fails only
  // when the store cannot be read (nothing is published then).
  Result<std::vector<std::string>> refresh();

  // The live edge and hyperplane nodes changed (node id -> underlay address): recompiles every
  // program (the routers' edge lists and NAT gateway shards, the nodes' own programs) and
  // publishes what changed.
  void set_fleet(std::map<std::string, std::string> edge_nodes,
                 std::map<std::string, std::string> hyperplane_nodes);

  std::optional<program::Mapping> lookup(uint32_t vni, const program::IpAddress& address) const;

  // Refreshes whenever store's version key changes, on a thread of its own; a broken watch is
  // re-created after `retry`. No-op when already watching.
  void watch(store::Store& store, std::chrono::milliseconds retry = std::chrono::seconds(1));
  void stop();

  const model::CompileOptions& options() const { return options_; }

 private:
  void watch_loop(store::Store& store, std::chrono::milliseconds retry);
  // The cache's programs for these hosts; under refresh_mutex_.
  void publish(const std::vector<std::string>& hosts);

  model::RegionStore& regions_;
  const model::CompileOptions options_;
  const Publish publish_;
  const NodePublished node_published_;
  const PublishMany publish_many_;
  std::mutex refresh_mutex_;
  model::ProgramCache cache_;
  mutable std::mutex region_mutex_;
  std::shared_ptr<const model::Region> region_;  // the Region last compiled
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace openvpc::controller
