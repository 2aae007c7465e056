// netlink.h — the few rtnetlink requests the router's ports need, by hand on
// <linux/rtnetlink.h>: change a link (MTU, MAC, up, network namespace, GSO size) and add an
// address.
//
// Every call opens its own NETLINK_ROUTE socket, sends one request with NLM_F_ACK and waits
// (bounded, 2 s) for the kernel's answer, so a call acts in the network namespace of the
// calling *thread* (run it through NetworkNamespace::run to act inside another one).
// Control-plane code: results, not exceptions; an error carries the kernel's errno text.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.h"

namespace openvpc::io::netlink {

struct LinkChange {
  std::optional<uint32_t> mtu;
  std::optional<std::array<uint8_t, 6>> mac;
  std::optional<bool> up;
  std::optional<int> namespace_fd;       // IFLA_NET_NS_FD: move the link into this namespace
  std::optional<uint32_t> gso_max_size;  // IFLA_GSO_MAX_SIZE: largest TSO super-frame
};

Result<void> change_link(int ifindex, const LinkChange& change);

// Adds address/prefix_length (IPv4, host byte order) to the link.
Result<void> add_ipv4_address(int ifindex, uint32_t address, uint8_t prefix_length);

// The index of a link by name, in the calling thread's namespace.
Result<int> interface_index(std::string_view name);

}  // namespace openvpc::io::netlink
