#include "store/etcd_json.h"

#include <array>
#include <charconv>

#include "store/key_range.h"

namespace openvpc::store::etcd {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> decode_table() {
  std::array<int8_t, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = int8_t(i);
  return table;
}

Error corrupt(std::string message) {
  return make_error("store.corrupt", "etcd: " + message);
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 |
                       uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  static constexpr auto kTable = decode_table();
  if (text.size() % 4 != 0) return corrupt("base64 length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int padding = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (padding == 1 && text[i + 2] == '=') return corrupt("bad base64 padding");
    uint32_t n = 0;
    for (int j = 0; j < 4 - padding; ++j) {
      const int8_t value = kTable[static_cast<unsigned char>(text[i + j])];
      if (value < 0) return corrupt("bad base64 character");
      n |= uint32_t(value) << (18 - 6 * j);
    }
    out += char((n >> 16) & 0xff);
    if (padding < 2) out += char((n >> 8) & 0xff);
    if (padding < 1) out += char(n & 0xff);
  }
  return out;
}

Result<int64_t> int_field(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return corrupt("expected an object");
  auto found = object.find(name);
  if (found == object.end() || found->is_null()) return int64_t{0};
  if (found->is_number_integer()) return found->get<int64_t>();
  if (!found->is_string()) return corrupt(std::string(name) + " is not an integer");
  const auto& text = found->get_ref<const std::string&>();
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return corrupt(std::string(name) + " is not an integer: " + text);
  }
  return value;
}

bool flag_field(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return false;
  auto found = object.find(name);
  return found != object.end() && found->is_boolean() && found->get<bool>();
}

Result<std::string> bytes_field(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return corrupt("expected an object");
  auto found = object.find(name);
  if (found == object.end() || found->is_null()) return std::string();
  if (!found->is_string()) return corrupt(std::string(name) + " is not a string");
  return base64_decode(found->get_ref<const std::string&>());
}

Result<KeyValue> key_value(const nlohmann::json& object) {
  KeyValue kv;
  auto key = bytes_field(object, "key");
  if (!key) return key.error();
  auto value = bytes_field(object, "value");
  if (!value) return value.error();
  auto created = int_field(object, "create_revision");
  if (!created) return created.error();
  auto modified = int_field(object, "mod_revision");
  if (!modified) return modified.error();
  if (key->empty() || *created < 0 || *modified <= 0) return corrupt("invalid key-value");
  return KeyValue{std::move(*key), std::move(*value), *created, *modified};
}

Result<int64_t> header_revision(const nlohmann::json& response) {
  if (!response.is_object() || !response.contains("header")) return corrupt("no header");
  auto revision = int_field(response["header"], "revision");
  if (revision && *revision <= 0) return corrupt("header without a revision");
  return revision;
}

Result<Event> event(const nlohmann::json& object) {
  if (!object.is_object() || !object.contains("kv")) return corrupt("event without kv");
  Event result;
  auto type = object.find("type");
  if (type != object.end() && *type == "DELETE") {
    result.kind = Event::Kind::erase;
  } else if (type != object.end() && *type != "PUT") {
    return corrupt("unknown event type");
  }
  const auto& kv = object["kv"];
  auto key = bytes_field(kv, "key");
  if (!key) return key.error();
  auto modified = int_field(kv, "mod_revision");
  if (!modified) return modified.error();
  if (result.kind == Event::Kind::erase) {
    if (key->empty() || *modified <= 0) return corrupt("invalid delete event");
    result.kv.key = std::move(*key);
    result.kv.mod_revision = *modified;
    return result;
  }
  auto full = key_value(kv);
  if (!full) return full.error();
  result.kv = std::move(*full);
  return result;
}

// A prefix's range: [prefix, prefix_end); "\0" stands for "no end" (and for "" as a start).
static void add_prefix_range(nlohmann::json& request, std::string_view prefix) {
  const std::string end = prefix_end(prefix);
  request["key"] = base64_encode(prefix.empty() ? std::string_view("\0", 1) : prefix);
  request["range_end"] = base64_encode(end.empty() ? std::string_view("\0", 1) : end);
}

nlohmann::json get_request(std::string_view key) {
  return {{"key", base64_encode(key)}};
}

nlohmann::json prefix_request(std::string_view prefix, int64_t limit) {
  nlohmann::json request;
  add_prefix_range(request, prefix);
  if (limit > 0) request["limit"] = std::to_string(limit);
  return request;
}

nlohmann::json txn_request(const std::vector<Compare>& compares,
                           const std::vector<Operation>& ops) {
  nlohmann::json compare_list = nlohmann::json::array();
  for (const auto& compare : compares) {
    compare_list.push_back({{"key", base64_encode(compare.key)},
                            {"result", "EQUAL"},
                            {"target", "MOD"},
                            {"mod_revision", std::to_string(compare.mod_revision)}});
  }
  nlohmann::json success = nlohmann::json::array();
  for (const auto& op : ops) {
    if (op.kind == Operation::Kind::put) {
      success.push_back(
          {{"request_put", {{"key", base64_encode(op.key)}, {"value", base64_encode(op.value)}}}});
    } else {
      success.push_back({{"request_delete_range", {{"key", base64_encode(op.key)}}}});
    }
  }
  return {{"compare", compare_list}, {"success", success}};
}

nlohmann::json watch_request(std::string_view prefix, int64_t start_revision) {
  nlohmann::json create;
  add_prefix_range(create, prefix);
  create["start_revision"] = std::to_string(start_revision);
  return {{"create_request", create}};
}

}  // namespace openvpc::store::etcd
