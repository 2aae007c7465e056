// dns_names.cc — parsing and formatting of private host names and reverse names.
#include "dataplane/services/dns_names.h"

#include <charconv>
#include <cstring>

namespace openvpc::dataplane::services {
namespace {

// Reads a canonical decimal octet from the front of text; advances text past it.
std::optional<uint8_t> take_octet(std::string_view& text) {
  size_t digits = 0;
  while (digits < text.size() && digits < 4 && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits == 0 || digits > 3 || (digits > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  if (value > 255) return std::nullopt;
  text.remove_prefix(digits);
  return uint8_t(value);
}

// Four octets separated by `separator`; the whole of text must be consumed. The octets come
// out in text order.
std::optional<uint32_t> take_four_octets(std::string_view text, char separator) {
  uint32_t address = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (text.empty() || text.front() != separator) return std::nullopt;
      text.remove_prefix(1);
    }
    const std::optional<uint8_t> octet = take_octet(text);
    if (!octet) return std::nullopt;
    address = (address << 8) | *octet;
  }
  if (!text.empty()) return std::nullopt;
  return address;
}

}  // namespace

bool is_within_zone(std::string_view name, std::string_view zone) {
  if (name.size() < zone.size() || name.substr(name.size() - zone.size()) != zone) return false;
  return name.size() == zone.size() || name[name.size() - zone.size() - 1] == '.';
}

// "<prefix>a-b-c-d.<zone>" -> a.b.c.d (host order).
static std::optional<uint32_t> parse_dashed_hostname(std::string_view name, std::string_view prefix,
                                                     std::string_view zone) {
  if (zone.empty() || name.size() <= prefix.size() + zone.size() + 1) return std::nullopt;
  if (!name.starts_with(prefix) || !is_within_zone(name, zone)) return std::nullopt;
  const std::string_view host =
      name.substr(prefix.size(), name.size() - zone.size() - 1 - prefix.size());
  return take_four_octets(host, '-');
}

std::optional<uint32_t> parse_private_hostname(std::string_view name, std::string_view zone) {
  return parse_dashed_hostname(name, "ip-", zone);
}

std::optional<uint32_t> parse_public_hostname(std::string_view name, std::string_view zone) {
  return parse_dashed_hostname(name, "ec2-", zone);
}

std::optional<uint32_t> parse_reverse_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".in-addr.arpa";
  if (!name.ends_with(kSuffix)) return std::nullopt;
  const std::optional<uint32_t> reversed =
      take_four_octets(name.substr(0, name.size() - kSuffix.size()), '.');
  if (!reversed) return std::nullopt;
  return __builtin_bswap32(*reversed);
}

size_t format_private_hostname(uint32_t address, std::string_view zone, char* out,
                               size_t capacity) {
  char text[64];
  char* at = text;
  std::memcpy(at, "ip-", 3);
  at += 3;
  for (int i = 3; i >= 0; --i) {
    at = std::to_chars(at, text + sizeof text, (address >> (8 * i)) & 0xff).ptr;
    *at++ = i > 0 ? '-' : '.';
  }
  const size_t host_size = size_t(at - text);
  if (capacity < host_size + zone.size()) return 0;
  std::memcpy(out, text, host_size);
  std::memcpy(out + host_size, zone.data(), zone.size());
  return host_size + zone.size();
}

}  // namespace openvpc::dataplane::services
