// ids.h — where new ids, numbers and times come from.
//
// IdSource is injected so tests are deterministic (a fixed seed and clock); the controller
// seeds it from std::random_device. Ids look like EC2's: prefix + "-" + 17 hex digits.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace openvpc::model {

class IdSource {
 public:
  explicit IdSource(uint64_t seed) : engine_(seed) {}
  std::string resource_id(std::string_view prefix) { return std::string(prefix) + "-" + hex(17); }
  std::string hex(int digits);
  std::string digits(int count);  // decimal digits, e.g. a 12-digit account id
  std::string base62(int count);  // letters and digits, e.g. secret keys
  uint32_t random32() { return static_cast<uint32_t>(engine_()); }

 private:
  std::mt19937_64 engine_;
};

// "2026-11-23T11:26:08.000Z" for the given seconds since the epoch.
std::string iso8601(int64_t unix_seconds);

}  // namespace openvpc::model
