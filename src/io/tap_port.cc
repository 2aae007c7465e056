// tap_port.cc — TAP devices with virtio-net headers (see tap_port.h).
#include "io/tap_port.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "io/netlink.h"
#include "io/netns.h"

namespace openvpc::io {
namespace {

Error errno_error(const std::string& what, int error) {
  return make_error("io.tap", what + ": " + std::strerror(error));
}

// Opens and configures the TAP's descriptor; returns it, or an error (descriptor closed).
Result<int> open_tap(const TapPortConfig& config, std::string& name) {
  if (config.name.size() >= IFNAMSIZ) return make_error("io.tap", "name too long: " + config.name);
  const int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno_error("open /dev/net/tun", errno);
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  std::memcpy(ifr.ifr_name, config.name.data(), config.name.size());
  int header_size = sizeof(VirtioNetHeader);
  const unsigned offloads = config.offloads ? (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) : 0;
  const char* failed = nullptr;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    failed = "TUNSETIFF";
  } else if (ioctl(fd, TUNSETVNETHDRSZ, &header_size) < 0) {
    failed = "TUNSETVNETHDRSZ";
  } else if (ioctl(fd, TUNSETOFFLOAD, offloads) < 0) {
    failed = "TUNSETOFFLOAD";
  } else if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    failed = "SIOCGIFHWADDR";
  } else if (config.persist && ioctl(fd, TUNSETPERSIST, 1) < 0) {
    failed = "TUNSETPERSIST";
  }
  if (failed) {
    const int error = errno;
    close(fd);
    return errno_error(std::string(failed) + " " + config.name, error);
  }
  name.assign(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  return fd;
}

}  // namespace

Result<TapPort> TapPort::create(const TapPortConfig& config) {
  std::string name;
  Result<int> fd = open_tap(config, name);
  if (!fd) return fd.error();
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  std::array<uint8_t, 6> mac{};
  if (ioctl(*fd, SIOCGIFHWADDR, &ifr) == 0) std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, 6);
  TapPort port(*fd, std::move(name), config.mac.value_or(mac));
  port.persistent_ = config.persist;
  Result<int> index = netlink::interface_index(port.name_);
  if (!index) return index.error();
  netlink::LinkChange change{config.mtu, config.mac, true, std::nullopt, std::nullopt};
  if (auto changed = netlink::change_link(*index, change); !changed) return changed.error();
  return port;
}

Result<TapPort> TapPort::create_in(const TapPortConfig& config, const NetworkNamespace& ns,
                                   bool* reattached) {
  if (config.name.empty()) return make_error("io.tap", "create_in needs a device name");
  // Whether the device is there already (a persistent one left by an earlier process).
  Result<bool> existed =
      ns.run([&]() -> Result<bool> { return netlink::interface_index(config.name).ok(); });
  if (!existed) return existed.error();
  std::string name;
  Result<int> fd = ns.run([&] { return open_tap(config, name); });
  if (!fd) return fd.error();
  TapPort port(*fd, std::move(name), config.mac.value_or(std::array<uint8_t, 6>{}));
  port.persistent_ = config.persist;
  InterfaceSettings settings;
  settings.mtu = config.mtu;
  settings.mac = config.mac;
  if (auto configured = ns.configure(port.name_, settings); !configured) return configured.error();
  if (!config.mac) {
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, port.name_.data(), port.name_.size());
    if (ioctl(port.fd_, SIOCGIFHWADDR, &ifr) == 0) {
      std::memcpy(port.mac_.data(), ifr.ifr_hwaddr.sa_data, 6);
    }
  }
  if (reattached) *reattached = *existed;
  return port;
}

TapPort::TapPort(TapPort&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      mac_(other.mac_),
      stats_(other.stats_),
      persistent_(std::exchange(other.persistent_, false)) {}

TapPort& TapPort::operator=(TapPort&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    persistent_ = std::exchange(other.persistent_, false);
    name_ = std::move(other.name_);
    mac_ = other.mac_;
    stats_ = other.stats_;
  }
  return *this;
}

TapPort::~TapPort() {
  release();
}

void TapPort::release() {
  if (fd_ < 0) return;
  if (persistent_) (void)ioctl(fd_, TUNSETPERSIST, 0);  // the last close then deletes it
  close(fd_);
  fd_ = -1;
}

size_t TapPort::receive(std::span<Frame> frames) {
  size_t count = 0;
  // Bounded: a descriptor that keeps failing (device gone) cannot spin this loop.
  for (size_t attempts = 0; count < frames.size() && attempts < 2 * frames.size(); ++attempts) {
    Frame& frame = frames[count];
    iovec iov[2] = {{&frame.vnet, sizeof frame.vnet}, {frame.data, frame.capacity}};
    const ssize_t got = readv(fd_, iov, 2);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      ++stats_.receive_errors;  // e.g. a frame larger than the buffer: the kernel drops it
      continue;
    }
    if (size_t(got) < sizeof frame.vnet) {
      ++stats_.receive_errors;
      continue;
    }
    frame.size = uint32_t(size_t(got) - sizeof frame.vnet);
    ++count;
  }
  stats_.received += count;
  return count;
}

size_t TapPort::send_shared(std::span<const Frame> frames) const {
  size_t count = 0;
  for (const Frame& frame : frames) {
    iovec iov[2] = {{const_cast<VirtioNetHeader*>(&frame.vnet), sizeof frame.vnet},
                    {frame.data, frame.size}};
    if (writev(fd_, iov, 2) == ssize_t(sizeof frame.vnet + frame.size)) ++count;
  }
  return count;
}

size_t TapPort::send(std::span<const Frame> frames) {
  const size_t count = send_shared(frames);
  stats_.send_errors += frames.size() - count;
  stats_.sent += count;
  return count;
}

Result<void> TapPort::move_to_namespace(const std::string& namespace_name) {
  Result<NetworkNamespace> target = NetworkNamespace::open(namespace_name);
  if (!target) return target.error();
  Result<int> index = netlink::interface_index(name_);
  if (!index) return index.error();
  netlink::LinkChange move;
  move.namespace_fd = target->fd();
  if (auto moved = netlink::change_link(*index, move); !moved) return moved;
  return target->configure(name_, InterfaceSettings{});
}

}  // namespace openvpc::io
