#include "program/cidr.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>

namespace openvpc::program {

Cidr Cidr::make(const IpAddress& address, uint8_t prefix_length) {
  Cidr c;
  const int width = address.is_v4() ? 32 : 128;
  c.prefix_length = uint8_t(prefix_length > width ? width : prefix_length);
  c.address = address;
  const int keep = c.mapped_prefix_length();
  for (int i = 0; i < 16; ++i) {
    const int bits_here = keep - i * 8;
    if (bits_here >= 8) continue;
    c.address.bytes[i] &= bits_here <= 0 ? 0 : uint8_t(0xff << (8 - bits_here));
  }
  return c;
}

bool Cidr::contains(const IpAddress& a) const {
  int bits = mapped_prefix_length();
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a.bytes[i] != address.bytes[i]) return false;
  }
  if (bits == 0) return true;
  const uint8_t mask = uint8_t(0xff << (8 - bits));
  return (a.bytes[i] & mask) == address.bytes[i];
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const size_t slash = text.find('/');
  auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int width = address->is_v4() ? 32 : 128;
  int length = width;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    length = 0;
    for (char ch : digits) {
      if (ch < '0' || ch > '9') return std::nullopt;
      length = length * 10 + (ch - '0');
    }
    if (length > width) return std::nullopt;
  }
  return make(*address, uint8_t(length));
}

std::string Cidr::to_string() const {
  return format_address(address) + "/" + std::to_string(prefix_length);
}

std::string format_address(const IpAddress& a) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.is_v4()) {
    inet_ntop(AF_INET, a.v4_wire(), text, sizeof text);
  } else {
    inet_ntop(AF_INET6, a.bytes.data(), text, sizeof text);
  }
  return text;
}

std::string format_mac(const MacAddress& m) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", m.bytes[0], m.bytes[1],
                m.bytes[2], m.bytes[3], m.bytes[4], m.bytes[5]);
  return text;
}

std::optional<IpAddress> parse_address(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);
  uint8_t wire[16];
  if (copy.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, copy.c_str(), wire) != 1) return std::nullopt;
    return IpAddress::v4_from_wire(wire);
  }
  if (inet_pton(AF_INET6, copy.c_str(), wire) != 1) return std::nullopt;
  return IpAddress::v6_from_wire(wire);
}

std::optional<MacAddress> parse_mac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  MacAddress m;
  for (int i = 0; i < 6; ++i) {
    unsigned value = 0;
    for (int j = 0; j < 2; ++j) {
      const char ch = text[i * 3 + j];
      unsigned digit;
      if (ch >= '0' && ch <= '9')
        digit = unsigned(ch - '0');
      else if (ch >= 'a' && ch <= 'f')
        digit = unsigned(ch - 'a' + 10);
      else if (ch >= 'A' && ch <= 'F')
        digit = unsigned(ch - 'A' + 10);
      else
        return std::nullopt;
      value = value * 16 + digit;
    }
    if (i < 5 && text[i * 3 + 2] != ':') return std::nullopt;
    m.bytes[i] = uint8_t(value);
  }
  return m;
}

IpAddress address_literal(std::string_view text) {
  auto a = parse_address(text);
  if (!a) std::abort();
  return *a;
}

Cidr cidr_literal(std::string_view text) {
  auto c = Cidr::parse(text);
  if (!c) std::abort();
  return *c;
}

MacAddress mac_literal(std::string_view text) {
  auto m = parse_mac(text);
  if (!m) std::abort();
  return *m;
}

}  // namespace openvpc::program
