// fuzz_etcd_json — libFuzzer target for what the etcd store reads from etcd's JSON gateway
// (store/etcd_json.h): a range or txn response's header and kvs, a watch message, base64 keys and
// values, int64 fields as decimal strings. Anything claiming to be etcd may answer with anything;
// the store must turn it into "store.corrupt", never crash or throw.
//
// Invariants: no crash, no sanitizer report, no exception; a key or value that decodes
// re-encodes to base64 that decodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "store/etcd_json.h"

namespace {

using namespace openvpc::store;
using nlohmann::json;

void items(const json& response, const char* field, bool events) {
  auto found = response.find(field);
  if (found == response.end() || !found->is_array()) return;
  for (const json& item : *found) {
    if (events) {
      (void)etcd::event(item);
    } else {
      (void)etcd::key_value(item);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto bytes = etcd::base64_decode(text); bytes.ok()) {
    auto again = etcd::base64_decode(etcd::base64_encode(*bytes));
    if (!again.ok() || *again != *bytes) std::abort();
  }
  const json message = json::parse(text, nullptr, false);
  if (message.is_discarded()) return 0;
  (void)etcd::header_revision(message);
  (void)etcd::flag_field(message, "more");
  (void)etcd::int_field(message, "count");
  (void)etcd::bytes_field(message, "key");
  items(message, "kvs", false);
  if (auto result = message.find("result"); result != message.end()) {  // a watch message
    (void)etcd::int_field(*result, "compact_revision");
    (void)etcd::flag_field(*result, "canceled");
    items(*result, "events", true);
  }
  return 0;
}
