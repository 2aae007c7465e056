#include "io/interface_mtu.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace openvpc::io {

namespace {

uint32_t v4_of(const sockaddr* address) {
  return ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr);
}

Result<uint32_t> mtu_of(const std::string& name) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("io.socket", std::strerror(errno));
  ifreq request{};
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  const int done = ::ioctl(fd, SIOCGIFMTU, &request);
  const int error = errno;
  ::close(fd);
  if (done != 0) return make_error("io.ioctl", "SIOCGIFMTU " + name + ": " + std::strerror(error));
  return uint32_t(request.ifr_mtu);
}

}  // namespace

Result<InterfaceMtu> interface_mtu_for(uint32_t address) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return make_error("io.getifaddrs", std::strerror(errno));
  std::string exact, covering;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    const uint32_t mine = v4_of(entry->ifa_addr);
    const uint32_t mask = entry->ifa_netmask != nullptr ? v4_of(entry->ifa_netmask) : ~0u;
    if (mine == address) exact = entry->ifa_name;
    if (covering.empty() && (mine & mask) == (address & mask)) covering = entry->ifa_name;
  }
  ::freeifaddrs(list);
  const std::string name = !exact.empty() ? exact : covering;
  if (name.empty()) {
    const in_addr wire{htonl(address)};
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &wire, text, sizeof text);
    return make_error("io.no_interface", std::string("no interface holds ") + text);
  }
  auto mtu = mtu_of(name);
  if (!mtu) return mtu.error();
  return InterfaceMtu{name, *mtu};
}

}  // namespace openvpc::io
