// io_test_util.h — names and guards shared by the io tests that need root.
//
// Every namespace and device a test creates carries the test process's pid, so parallel
// ctest runs and leftovers from a crashed run never collide; RAII objects remove them.
#pragma once

#include <unistd.h>

#include <string>

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

}  // namespace openvpc::io::testing

#define OPENVPC_REQUIRE_ROOT()                                                     \
  do {                                                                             \
    if (!::openvpc::io::testing::running_as_root()) {                              \
      GTEST_SKIP() << "needs root (CAP_NET_ADMIN) for TAP devices and namespaces"; \
    }                                                                              \
  } while (0)
