// tap_port.h — an ENI's TAP device: the instance side of the router.
//
// The TAP is opened IFF_TAP | IFF_NO_PI | IFF_VNET_HDR with a 12-byte virtio-net header and
// (by default) TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, non-blocking, its MTU and MAC set and
// brought up. With offloads on, frames read may carry a partial checksum or be TSO
// super-frames up to kMaxFrameSize (see frame.h, offload.h): give receive() buffers that big,
// or a larger frame is lost and counted in receive_errors.
//
// The device lives as long as this object's file descriptor: destroying the TapPort deletes
// it, wherever it is (a persistent one is made non-persistent first). create_in() opens the
// device inside a namespace: it creates it there, or re-attaches to a persistent device of
// that name a previous process left behind (its addresses and routes intact). move_to_namespace()
// hands the device to an instance's namespace (the kernel brings it down on the move; this brings
// it up again there); the descriptor keeps working from the router's namespace.
//
// Threading: one thread per port at a time (receive and send may run on two threads: the
// kernel serialises them). The data-plane calls return counts and never throw; create and
// the namespace move are control-plane calls returning results.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/result.h"
#include "io/frame.h"

namespace openvpc::io {

class NetworkNamespace;

struct TapPortConfig {
  std::string name;  // IFNAMSIZ-1 characters at most; empty: the kernel picks tapN
  uint32_t mtu = 1500;
  std::optional<std::array<uint8_t, 6>> mac;  // empty: the kernel's random one
  bool offloads = true;                       // TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6
  // Persistent (TUNSETPERSIST): the device outlives a process that dies without running its
  // destructors (SIGKILL), so the instance keeps its interface and addresses and a restarted
  // router re-attaches with create_in(). Destroying the TapPort still deletes the device.
  bool persist = false;
};

struct TapPortStats {
  uint64_t received = 0;
  uint64_t sent = 0;
  uint64_t receive_errors = 0;  // reads that failed (other than "no more frames")
  uint64_t send_errors = 0;     // writes that failed or were short
};

class TapPort {
 public:
  static Result<TapPort> create(const TapPortConfig& config);
  // Creates or re-attaches to the device `config.name` inside `ns` (see above); the MTU, MAC
  // and link state are applied there. `reattached` says which happened.
  static Result<TapPort> create_in(const TapPortConfig& config, const NetworkNamespace& ns,
                                   bool* reattached = nullptr);

  TapPort(TapPort&& other) noexcept;
  TapPort& operator=(TapPort&& other) noexcept;
  TapPort(const TapPort&) = delete;
  TapPort& operator=(const TapPort&) = delete;
  ~TapPort();

  int fd() const { return fd_; }  // for epoll: readable when a frame waits
  const std::string& name() const { return name_; }
  std::array<uint8_t, 6> mac() const { return mac_; }
  const TapPortStats& stats() const { return stats_; }

  // Reads up to frames.size() frames (each frame's data/capacity set by the caller) and
  // returns how many it filled, in order; stops early when none is waiting. Never blocks.
  size_t receive(std::span<Frame> frames);

  // Writes frames (virtio-net header first) and returns how many the kernel took; a failed
  // write is counted and skipped, so the count can be below frames.size() with later frames
  // sent. A TAP never blocks a writer: a full queue drops inside the kernel.
  size_t send(std::span<const Frame> frames);
  // send() without touching stats(): safe from several threads at once on one port (the
  // kernel serialises each frame's write), for callers that count for themselves.
  size_t send_shared(std::span<const Frame> frames) const;

  // Moves the device into the named namespace (/run/netns/NAME) and brings it up there.
  Result<void> move_to_namespace(const std::string& namespace_name);

 private:
  TapPort(int fd, std::string name, std::array<uint8_t, 6> mac)
      : fd_(fd), name_(std::move(name)), mac_(mac) {}
  void release();  // clears persistence, closes the descriptor: the device goes away

  int fd_ = -1;
  std::string name_;
  std::array<uint8_t, 6> mac_{};
  TapPortStats stats_;
  bool persistent_ = false;
};

}  // namespace openvpc::io
