// address.cc — text forms of IP and MAC addresses.
#include "packet/address.h"

#include <arpa/inet.h>

#include <cstdio>

namespace openvpc::packet {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  text.copy(buffer, text.size());
  uint8_t wire[16];
  if (inet_pton(AF_INET, buffer, wire) == 1) return v4_from_wire(wire);
  if (inet_pton(AF_INET6, buffer, wire) == 1) return v6_from_wire(wire);
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, v4_wire(), buffer, sizeof buffer);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buffer, sizeof buffer);
  }
  return buffer;
}

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  // Six two-digit hex groups separated by ':' (or '-').
  if (text.size() != 17) return std::nullopt;
  MacAddress mac;
  for (size_t group = 0; group < 6; ++group) {
    uint8_t value = 0;
    for (size_t digit = 0; digit < 2; ++digit) {
      const char c = text[group * 3 + digit];
      uint8_t nibble;
      if (c >= '0' && c <= '9') {
        nibble = uint8_t(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        nibble = uint8_t(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        nibble = uint8_t(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
      value = uint8_t(value << 4 | nibble);
    }
    if (group < 5 && text[group * 3 + 2] != ':' && text[group * 3 + 2] != '-') {
      return std::nullopt;
    }
    mac.bytes[group] = value;
  }
  return mac;
}

std::string MacAddress::to_string() const {
  char buffer[18];
  std::snprintf(buffer, sizeof buffer, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1],
                bytes[2], bytes[3], bytes[4], bytes[5]);
  return buffer;
}

}  // namespace openvpc::packet
