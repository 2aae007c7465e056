// dns_names.h — the resolver's names: ip-10-0-1-5.<zone>, ec2-198-51-100-5.<public zone> and
// 5.1.0.10.in-addr.arpa (the zones themselves are spelled in program/dns_names.h).
//
// Pure functions over lower-case dotted names as packet::parse_dns_query() decodes them (no
// trailing dot). Parsing accepts only the canonical spelling (decimal octets 0-255 without
// leading zeros), so every address has exactly one name of each kind. No allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace openvpc::dataplane::services {

// "ip-10-0-1-5.<zone>" -> 10.0.1.5 (host order).
std::optional<uint32_t> parse_private_hostname(std::string_view name, std::string_view zone);
// "ec2-198-51-100-5.<public zone>" -> 198.51.100.5 (host order).
std::optional<uint32_t> parse_public_hostname(std::string_view name, std::string_view zone);
// "5.1.0.10.in-addr.arpa" -> 10.0.1.5 (host order).
std::optional<uint32_t> parse_reverse_name(std::string_view name);
// Writes "ip-a-b-c-d.<zone>" into out; returns its size, 0 if it does not fit.
size_t format_private_hostname(uint32_t address, std::string_view zone, char* out, size_t capacity);
// name is zone itself or a name below it.
bool is_within_zone(std::string_view name, std::string_view zone);

}  // namespace openvpc::dataplane::services
