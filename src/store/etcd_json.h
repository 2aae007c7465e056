// etcd_json.h — the etcd v3 JSON gateway's encoding: keys and values are base64 strings,
// int64 fields are decimal strings, and fields equal to their zero value are left out.
//
// Everything here is a pure function over untrusted input: what etcd (or anything claiming to
// be etcd) sends is validated here and turned into "store.corrupt" when malformed.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace openvpc::store::etcd {

std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding; anything else fails.
Result<std::string> base64_decode(std::string_view text);

// The int64 field `name` of object (a string or a number); 0 when absent.
Result<int64_t> int_field(const nlohmann::json& object, const char* name);
// The bool field `name` of object; false when absent or not a bool.
bool flag_field(const nlohmann::json& object, const char* name);
// The base64 field `name` of object, decoded; "" when absent.
Result<std::string> bytes_field(const nlohmann::json& object, const char* name);
// A mvccpb.KeyValue.
Result<KeyValue> key_value(const nlohmann::json& object);
// header.revision of a response.
Result<int64_t> header_revision(const nlohmann::json& response);
// One watch event ({"type": "DELETE"?, "kv": {...}}).
Result<Event> event(const nlohmann::json& object);

// The request bodies.
nlohmann::json get_request(std::string_view key);
// Keys starting with prefix ("": all keys); limit <= 0: no limit.
nlohmann::json prefix_request(std::string_view prefix, int64_t limit);
nlohmann::json txn_request(const std::vector<Compare>& compares, const std::vector<Operation>& ops);
nlohmann::json watch_request(std::string_view prefix, int64_t start_revision);

}  // namespace openvpc::store::etcd
