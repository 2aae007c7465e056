#include "controller/program_publisher.h"

#include <spdlog/spdlog.h>

namespace openvpc::controller {

ProgramPublisher::ProgramPublisher(model::RegionStore& regions, model::CompileOptions options,
                                   Publish publish, NodePublished node_published,
                                   PublishMany publish_many)
    : regions_(regions),
      options_(std::move(options)),
      publish_(std::move(publish)),
      node_published_(std::move(node_published)),
      publish_many_(std::move(publish_many)),
      cache_(options_) {}

ProgramPublisher::~ProgramPublisher() {
  stop();
}

Result<std::vector<std::string>> ProgramPublisher::refresh() {
  std::lock_guard lock(refresh_mutex_);
  auto region = regions_.snapshot();
  if (!region) return region.error();
  if (*region == cache_.region()) return std::vector<std::string>{};
  auto hosts = cache_.update(*region);
  publish(hosts);
  std::lock_guard region_lock(region_mutex_);
  region_ = *region;
  return hosts;
}

void ProgramPublisher::set_fleet(std::map<std::string, std::string> edge_nodes,
                                 std::map<std::string, std::string> hyperplane_nodes) {
  std::lock_guard lock(refresh_mutex_);
  model::CompileOptions options = cache_.options();
  options.edge_nodes = std::move(edge_nodes);
  options.hyperplane_nodes = std::move(hyperplane_nodes);
  publish(cache_.set_options(std::move(options)));
}

void ProgramPublisher::publish(const std::vector<std::string>& hosts) {
  const auto& programs = cache_.programs();
  std::vector<uint64_t> versions;
  if (publish_many_ && hosts.size() > 1) {
    std::vector<mapping::HostProgram> batch;
    batch.reserve(hosts.size());
    for (const auto& host : hosts) batch.push_back({host, &programs.at(host)});
    versions = publish_many_(batch);
  } else {
    for (const auto& host : hosts) versions.push_back(publish_(host, programs.at(host)));
  }
  if (!node_published_) return;
  // Every host: one that left the hyperplane fleet runs none of its NAT gateways any more.
  static const program::Program kNothing;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const bool node = model::is_hyperplane_node(cache_.options(), hosts[i]);
    node_published_(hosts[i], versions[i], node ? programs.at(hosts[i]) : kNothing);
  }
}

std::optional<program::Mapping> ProgramPublisher::lookup(uint32_t vni,
                                                         const program::IpAddress& address) const {
  std::shared_ptr<const model::Region> region;
  {
    std::lock_guard lock(region_mutex_);
    region = region_;
  }
  if (!region) return std::nullopt;
  return model::lookup_mapping(*region, options_, vni, address);
}

void ProgramPublisher::watch(store::Store& store, std::chrono::milliseconds retry) {
  if (watcher_.joinable()) return;
  stopping_ = false;
  watcher_ = std::thread([this, &store, retry] { watch_loop(store, retry); });
}

void ProgramPublisher::stop() {
  stopping_ = true;
  if (watcher_.joinable()) watcher_.join();
}

void ProgramPublisher::watch_loop(store::Store& store, std::chrono::milliseconds retry) {
  constexpr auto kPoll = std::chrono::milliseconds(200);  // how soon stop() is noticed
  while (!stopping_) {
    auto watch = store.watch(model::kVersionKey, 0);
    // Anything committed before the watch began is picked up by this refresh.
    if (watch) (void)refresh();
    while (watch && !stopping_) {
      auto events = (*watch)->next(kPoll);
      if (!events) {
        spdlog::warn("region watch: {}", events.error().message);
        break;
      }
      if (events->empty()) continue;
      if (auto refreshed = refresh(); !refreshed) {
        spdlog::error("recompiling programs: {}", refreshed.error().message);
      }
    }
    for (auto waited = std::chrono::milliseconds(0); waited < retry && !stopping_;
         waited += kPoll) {
      std::this_thread::sleep_for(kPoll);
    }
  }
}

}  // namespace openvpc::controller
