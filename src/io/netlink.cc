// netlink.cc — rtnetlink requests (see netlink.h).
#include "io/netlink.h"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace openvpc::io::netlink {
namespace {

Error errno_error(const char* what, int error) {
  return make_error("io.netlink", std::string(what) + ": " + std::strerror(error));
}

// One request under construction: header, family message, attributes.
struct Request {
  alignas(NLMSG_ALIGNTO) uint8_t buffer[512] = {};
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer); }

  template <typename Body>
  Body* start(uint16_t type, uint16_t flags) {
    header()->nlmsg_len = NLMSG_LENGTH(sizeof(Body));
    header()->nlmsg_type = type;
    header()->nlmsg_flags = uint16_t(NLM_F_REQUEST | NLM_F_ACK | flags);
    header()->nlmsg_seq = 1;
    return reinterpret_cast<Body*>(NLMSG_DATA(header()));
  }
  void attribute(uint16_t type, const void* data, size_t size) {
    const uint32_t at = NLMSG_ALIGN(header()->nlmsg_len);
    auto* rta = reinterpret_cast<rtattr*>(buffer + at);
    rta->rta_type = type;
    rta->rta_len = uint16_t(RTA_LENGTH(size));
    std::memcpy(RTA_DATA(rta), data, size);
    header()->nlmsg_len = at + RTA_ALIGN(rta->rta_len);
  }
};

class Socket {
 public:
  Socket() : fd_(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Sends the request and waits for its acknowledgement.
Result<void> transact(Request& request, const char* what) {
  Socket socket;
  if (socket.fd() < 0) return errno_error("socket(NETLINK_ROUTE)", errno);
  timeval timeout{2, 0};
  setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  const ssize_t sent = sendto(socket.fd(), request.buffer, request.header()->nlmsg_len, 0,
                              reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  if (sent < 0) return errno_error(what, errno);
  alignas(NLMSG_ALIGNTO) uint8_t answer[4096];
  for (int attempt = 0; attempt < 16; ++attempt) {
    const ssize_t got = recv(socket.fd(), answer, sizeof answer, 0);
    if (got < 0) return errno_error(what, errno);
    uint32_t remaining = uint32_t(got);
    for (auto* h = reinterpret_cast<nlmsghdr*>(answer); NLMSG_OK(h, remaining);
         h = NLMSG_NEXT(h, remaining)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      const auto* error = reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(h));
      if (error->error == 0) return {};
      return errno_error(what, -error->error);
    }
  }
  return make_error("io.netlink", std::string(what) + ": no acknowledgement");
}

}  // namespace

Result<void> change_link(int ifindex, const LinkChange& change) {
  Request request;
  auto* info = request.start<ifinfomsg>(RTM_NEWLINK, 0);
  info->ifi_family = AF_UNSPEC;
  info->ifi_index = ifindex;
  if (change.up) {
    info->ifi_change = IFF_UP;
    info->ifi_flags = *change.up ? IFF_UP : 0;
  }
  if (change.mtu) request.attribute(IFLA_MTU, &*change.mtu, sizeof(uint32_t));
  if (change.mac) request.attribute(IFLA_ADDRESS, change.mac->data(), 6);
  if (change.gso_max_size) request.attribute(IFLA_GSO_MAX_SIZE, &*change.gso_max_size, 4);
  if (change.namespace_fd) {
    const uint32_t fd = uint32_t(*change.namespace_fd);
    request.attribute(IFLA_NET_NS_FD, &fd, sizeof fd);
  }
  return transact(request, "RTM_NEWLINK");
}

Result<void> add_ipv4_address(int ifindex, uint32_t address, uint8_t prefix_length) {
  Request request;
  auto* info = request.start<ifaddrmsg>(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  info->ifa_family = AF_INET;
  info->ifa_prefixlen = prefix_length;
  info->ifa_index = uint32_t(ifindex);
  const uint32_t wire = htonl(address);
  request.attribute(IFA_LOCAL, &wire, sizeof wire);
  request.attribute(IFA_ADDRESS, &wire, sizeof wire);
  return transact(request, "RTM_NEWADDR");
}

Result<int> interface_index(std::string_view name) {
  const std::string copy(name);
  const unsigned index = if_nametoindex(copy.c_str());
  if (index == 0) return errno_error(("if_nametoindex " + copy).c_str(), errno);
  return int(index);
}

}  // namespace openvpc::io::netlink
