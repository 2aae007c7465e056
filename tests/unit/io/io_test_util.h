// io_test_util.h — names and guards shared by the io tests that need root.
//
// Every namespace and device a test creates carries the test process's pid, so parallel
// ctest runs and leftovers from a crashed run never collide; RAII objects remove them.
#pragma once

#include <unistd.h>

#include <array>
#include <cstdint>
#include <string>

#include "io/netns.h"
#include "io/tap_port.h"

namespace openvpc::io::testing {

inline bool running_as_root() {
  return geteuid() == 0;
}

// "ovt-io-<pid>-<suffix>": for namespaces (no length limit worth worrying about).
inline std::string namespace_name(const std::string& suffix) {
  return "ovt-io-" + std::to_string(getpid()) + "-" + suffix;
}

// "ovtio<pid><suffix>": interface names must stay below IFNAMSIZ (16) bytes.
inline std::string device_name(char suffix) {
  return "ovtio" + std::to_string(getpid()) + suffix;
}

// An instance's side of a TAP: a namespace "ovt-io-<pid>-<suffix>" holding the device
// device_name(suffix[0]) (offloads on, MTU 1500, `mac`), up, with `address`/24.
struct TapInstance {
  NetworkNamespace ns;
  TapPort tap;
};

inline Result<TapInstance> make_tap_instance(const std::string& suffix,
                                             const std::array<uint8_t, 6>& mac, uint32_t address) {
  Result<NetworkNamespace> ns = NetworkNamespace::create(namespace_name(suffix));
  if (!ns) return ns.error();
  Result<TapPort> tap = TapPort::create({device_name(suffix[0]), 1500, mac, true});
  if (!tap) return tap.error();
  if (auto moved = tap->move_to_namespace(ns->name()); !moved) return moved.error();
  InterfaceSettings settings;
  settings.ipv4_address = address;
  settings.ipv4_prefix_length = 24;
  if (auto configured = ns->configure(tap->name(), settings); !configured) {
    return configured.error();
  }
  return TapInstance{std::move(*ns), std::move(*tap)};
}

}  // namespace openvpc::io::testing

#define OPENVPC_REQUIRE_ROOT()                                                     \
  do {                                                                             \
    if (!::openvpc::io::testing::running_as_root()) {                              \
      GTEST_SKIP() << "needs root (CAP_NET_ADMIN) for TAP devices and namespaces"; \
    }                                                                              \
  } while (0)
