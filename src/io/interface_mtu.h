// interface_mtu.h — the MTU of the interface that holds an IPv4 address, for the router to
// learn its underlay MTU (a TCP super-frame that would not fit one underlay packet is cut
// before it leaves: router/underlay_segments.h).
//
// The interface is the one with that exact address, else the one whose subnet holds it (so
// 127.0.5.2, reachable on lo through 127.0.0.1/8, finds lo and its 65536). Control-plane code:
// getifaddrs + one SIOCGIFMTU ioctl, results not exceptions.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace openvpc::io {

struct InterfaceMtu {
  std::string name;
  uint32_t mtu = 0;
};

// address is IPv4 in host byte order. io.no_interface when no interface holds it.
Result<InterfaceMtu> interface_mtu_for(uint32_t address);

}  // namespace openvpc::io
