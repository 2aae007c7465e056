#include "controller/fleet_sync.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace openvpc::controller {

FleetSync::FleetSync(store::Store* store, std::string controller_id,
                     std::chrono::milliseconds lease, std::function<int64_t()> now_ms,
                     Changed changed)
    : store_(store),
      now_ms_(std::move(now_ms)),
      changed_(std::move(changed)),
      membership_(std::move(controller_id), lease.count()) {}

FleetSync::~FleetSync() {
  stop();
}

Result<void> FleetSync::set_local(const std::vector<mapping::NodeStatus>& nodes) {
  std::lock_guard lock(sync_mutex_);
  membership_.set_local(nodes);
  return sync_locked(true);  // the others hear of an attach or a departure at once
}

Result<void> FleetSync::sync() {
  std::lock_guard lock(sync_mutex_);
  return sync_locked(false);
}

std::vector<FleetNode> FleetSync::live() const {
  std::lock_guard lock(view_mutex_);
  return view_;
}

uint64_t FleetSync::invalid_records() const {
  std::lock_guard lock(sync_mutex_);
  return membership_.invalid_records();
}

Result<void> FleetSync::sync_locked(bool renew_now) {
  if (!store_) {
    publish_locked();
    return {};
  }
  auto exchanged = exchange_locked(renew_now);
  // Even when the store failed: this controller's own nodes are known, and a node that left it
  // must leave its routers' programs now (the others' records keep the age of the last read).
  publish_locked();
  return exchanged;
}

Result<void> FleetSync::exchange_locked(bool renew_now) {
  const int64_t now = now_ms_();
  if (renew_now || now >= next_renewal_ms_) {
    auto ops = membership_.renewal();
    if (!ops.empty()) {
      auto written = store_->txn({}, ops);
      if (!written) return written.error();
      membership_.renewed();
    }
    next_renewal_ms_ = now + membership_.lease_ms() / 3;
  }
  auto records = store_->range(kFleetPrefix);
  if (!records) return records.error();
  membership_.observe(records->kvs, now);
  last_read_ms_ = now;
  for (const auto& gone : membership_.abandoned(now)) {
    // Compared on the mod_revision last seen: a renewal since then keeps the record.
    auto erased = store_->txn({gone}, {{store::Operation::Kind::erase, gone.key, ""}});
    if (!erased) return erased.error();
    if (erased->succeeded) spdlog::info("fleet: erased the abandoned record {}", gone.key);
  }
  return {};
}

void FleetSync::publish_locked() {
  // Expiry is judged at the last successful read: a controller cut off from the store must not
  // declare the rest of the fleet dead meanwhile (it cannot place anything anyway).
  auto live = membership_.live(store_ ? last_read_ms_ : now_ms_());
  {
    std::lock_guard lock(view_mutex_);
    view_ = live;
  }
  if (same_membership(live, applied_)) return;
  applied_ = live;
  if (changed_) changed_(applied_);
}

void FleetSync::start() {
  if (!store_ || thread_.joinable()) return;
  const auto tick = std::min(std::chrono::milliseconds(500),
                             std::chrono::milliseconds(membership_.lease_ms() / 4));
  stopping_ = false;
  thread_ = std::thread([this, tick] { run(tick); });
}

void FleetSync::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void FleetSync::run(std::chrono::milliseconds tick) {
  constexpr auto kRetry = std::chrono::seconds(1);  // before re-creating a broken watch
  auto synced = [&] {
    auto done = sync();
    if (!done && !failing_) spdlog::warn("fleet: {}: {}", done.error().code, done.error().message);
    if (done && failing_) spdlog::info("fleet: the store answers again");
    failing_ = !done;
  };
  while (!stopping_) {
    auto watch = store_->watch(kFleetPrefix, 0);
    synced();  // anything written before the watch began
    while (watch && !stopping_) {
      // Every event (another controller's attach, departure or renewal) and every tick (this
      // controller's renewals, the others' expiry) syncs.
      auto events = (*watch)->next(tick);
      if (!events) {
        spdlog::warn("fleet watch: {}", events.error().message);
        break;
      }
      synced();
    }
    for (auto waited = std::chrono::milliseconds(0); waited < kRetry && !stopping_;
         waited += tick) {
      std::this_thread::sleep_for(tick);
    }
  }
}

}  // namespace openvpc::controller
