// etcd_store.cc — the store on an etcd v3 cluster, through its JSON gateway (etcd_client.h);
// watches stream /v3/watch (etcd_watch.h). etcd's own revision is the store revision.
#include <nlohmann/json.hpp>

#include "store/etcd_client.h"
#include "store/etcd_json.h"
#include "store/etcd_watch.h"
#include "store/key_range.h"
#include "store/store.h"

namespace openvpc::store {
namespace {

using nlohmann::json;

Result<std::vector<KeyValue>> key_values(const json& response) {
  std::vector<KeyValue> kvs;
  auto found = response.find("kvs");
  if (found == response.end()) return kvs;
  if (!found->is_array()) return make_error("store.corrupt", "etcd: kvs is not a list");
  for (const auto& item : *found) {
    auto kv = etcd::key_value(item);
    if (!kv) return kv.error();
    kvs.push_back(std::move(*kv));
  }
  return kvs;
}

class EtcdStore final : public Store {
 public:
  explicit EtcdStore(std::unique_ptr<etcd::Client> client) : client_(std::move(client)) {}

  Result<std::optional<KeyValue>> get(std::string_view key) override {
    auto response = client_->post("/v3/kv/range", etcd::get_request(key), true);
    if (!response) return response.error();
    auto kvs = key_values(*response);
    if (!kvs) return kvs.error();
    if (kvs->empty()) return std::optional<KeyValue>();
    if (kvs->size() != 1 || kvs->front().key != key) {
      return make_error("store.corrupt", "etcd: get answered another key");
    }
    return std::optional<KeyValue>(std::move(kvs->front()));
  }

  Result<RangeResult> range(std::string_view prefix, int64_t limit) override {
    auto response = client_->post("/v3/kv/range", etcd::prefix_request(prefix, limit), true);
    if (!response) return response.error();
    auto revision = etcd::header_revision(*response);
    if (!revision) return revision.error();
    auto kvs = key_values(*response);
    if (!kvs) return kvs.error();
    return RangeResult{std::move(*kvs), *revision, etcd::flag_field(*response, "more")};
  }

  Result<TxnResult> txn(const std::vector<Compare>& compares,
                        const std::vector<Operation>& ops) override {
    if (auto valid = check_transaction(compares, ops); !valid) return valid.error();
    auto response = client_->post("/v3/kv/txn", etcd::txn_request(compares, ops), false);
    if (!response) return response.error();
    auto revision = etcd::header_revision(*response);
    if (!revision) return revision.error();
    return TxnResult{etcd::flag_field(*response, "succeeded"), *revision};
  }

  Result<std::unique_ptr<Watch>> watch(std::string_view prefix, int64_t from_revision) override {
    auto current = current_revision();
    if (!current) return current.error();
    if (from_revision <= 0) {
      from_revision = *current + 1;
    } else if (from_revision <= *current) {
      // A read at from_revision fails exactly when a watch from there would be compacted;
      // asking now reports that from watch() itself, as the SQLite store does.
      json probe = etcd::get_request(std::string_view("\0", 1));
      probe["revision"] = std::to_string(from_revision);
      probe["count_only"] = true;
      if (auto read = client_->post("/v3/kv/range", probe, true); !read) return read.error();
    }
    return etcd::start_watch(client_->endpoints(), client_->preferred(), std::string(prefix),
                             from_revision);
  }

  Result<void> compact(int64_t revision) override {
    const json request = {{"revision", std::to_string(revision)}, {"physical", true}};
    auto response = client_->post("/v3/kv/compaction", request, false);
    if (!response) return response.error();
    return {};
  }

  Result<int64_t> current_revision() override {
    json request = etcd::get_request(std::string_view("\0", 1));
    request["count_only"] = true;
    auto response = client_->post("/v3/kv/range", request, true);
    if (!response) return response.error();
    return etcd::header_revision(*response);
  }

 private:
  std::unique_ptr<etcd::Client> client_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_etcd_store(const std::vector<std::string>& endpoints) {
  auto client = etcd::Client::create(endpoints);
  if (!client) return client.error();
  auto store = std::make_unique<EtcdStore>(std::move(*client));
  // Fail early when no member answers: a controller should not start against nothing.
  if (auto reachable = store->current_revision(); !reachable) return reachable.error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace openvpc::store
