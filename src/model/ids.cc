#include "model/ids.h"

#include <ctime>

namespace openvpc::model {

std::string IdSource::hex(int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < digits; ++i) out += kHex[engine_() % 16];
  return out;
}

std::string IdSource::digits(int count) {
  std::string out;
  for (int i = 0; i < count; ++i)
    out += static_cast<char>('0' + (i == 0 ? 1 + engine_() % 9 : engine_() % 10));
  return out;
}

std::string IdSource::base62(int count) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (int i = 0; i < count; ++i) out += kAlphabet[engine_() % 62];
  return out;
}

std::string iso8601(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

}  // namespace openvpc::model
