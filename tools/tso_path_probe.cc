// tso_path_probe — how much TSO through the TAP and one underlay datagram per super-frame
// would buy the router's I/O path, measured without the pipeline (issue #7, step 4).
//
//   tso_path_probe --tap NAME --local A.B.C.D --peer A.B.C.D [--port 6091]
//                  [--mode frames|tso] [--seconds-max N]
//
// One process per "host", like openvpc-router: it creates the TAP (the caller moves it into
// the instance's namespace; the descriptor keeps working), binds a UDP socket to local:port
// and forwards TAP -> UDP (sendmmsg, up to 64 per call) and UDP (recvmmsg) -> TAP. Each
// datagram is a 16-byte stand-in for the Geneve header and its VPC option (4 bytes magic +
// the 12-byte virtio-net header) followed by the Ethernet frame.
//
//   frames  what the router does today: the TAP offers TUN_F_CSUM only, so the instance's
//           kernel hands over MSS-sized segments; the checksum is completed here
//           (io::complete_checksum), one datagram per segment, one writev per segment on the
//           far side.
//   tso     TUN_F_CSUM | TSO4 | TSO6: a TCP super-frame (up to the TAP's gso_max_size) goes
//           whole into one datagram with its virtio-net header, and is written whole to the
//           far TAP with that header, so the receiving instance's kernel takes it as one
//           GRO-sized skb. Needs the TAP's gso_max_size lowered so that a super-frame fits a
//           UDP datagram on lo (the caller runs `ip link set dev TAP gso_max_size 60000`).
//
// Not part of the router: the wiring into src/router and src/dataplane is described in
// bench/README.md ("End to end against the peers"). Target tso-path-probe (not built by
// default), or by hand as bench/e2e/tso_probe.sh does:
//   g++ -O2 -std=c++20 -Isrc -o tso_path_probe tools/tso_path_probe.cc src/io/offload.cc
//       src/packet/checksum.cc   (one command line)
// Stops on SIGTERM/SIGINT, or after --seconds-max (default 120) so it cannot outlive a run.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "io/frame.h"
#include "io/offload.h"

namespace {

using openvpc::io::VirtioNetHeader;

constexpr size_t kBatch = 64;
constexpr uint32_t kMagic = 0x0ff1c0de;
constexpr size_t kPrefix = 4 + sizeof(VirtioNetHeader);  // stand-in for Geneve + option
constexpr size_t kBufferSize = 65536 + 64;

volatile sig_atomic_t g_stop = 0;

struct Options {
  std::string tap, local, peer, mode = "frames";
  int port = 6091;
  int seconds_max = 120;
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--tap")
      o.tap = value;
    else if (key == "--local")
      o.local = value;
    else if (key == "--peer")
      o.peer = value;
    else if (key == "--port")
      o.port = std::atoi(value.c_str());
    else if (key == "--mode")
      o.mode = value;
    else if (key == "--seconds-max")
      o.seconds_max = std::atoi(value.c_str());
    else
      return false;
  }
  return !o.tap.empty() && !o.local.empty() && !o.peer.empty() &&
         (o.mode == "frames" || o.mode == "tso");
}

int open_tap(const std::string& name, bool tso) {
  const int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  int header = sizeof(VirtioNetHeader);
  const unsigned offloads = tso ? (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) : TUN_F_CSUM;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &header) < 0 ||
      ioctl(fd, TUNSETOFFLOAD, offloads) < 0) {
    std::perror("tap");
    close(fd);
    return -1;
  }
  return fd;
}

int open_udp(const Options& o) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int size = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
  sockaddr_in local{}, peer{};
  local.sin_family = peer.sin_family = AF_INET;
  local.sin_port = peer.sin_port = htons(uint16_t(o.port));
  inet_pton(AF_INET, o.local.c_str(), &local.sin_addr);
  inet_pton(AF_INET, o.peer.c_str(), &peer.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) < 0) {
    std::perror("udp");
    close(fd);
    return -1;
  }
  return fd;
}

struct Counters {
  unsigned long tap_in = 0, tso_in = 0, udp_out = 0, udp_out_dropped = 0;
  unsigned long udp_in = 0, tap_out = 0, tap_out_failed = 0, bad = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: tso_path_probe --tap NAME --local IP --peer IP [--port N] "
                 "[--mode frames|tso] [--seconds-max N]\n");
    return 2;
  }
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  std::signal(SIGINT, [](int) { g_stop = 1; });
  const bool tso = o.mode == "tso";
  const int tap = open_tap(o.tap, tso);
  const int udp = open_udp(o);
  if (tap < 0 || udp < 0) return 1;
  std::printf("tap %s mode %s udp %s:%d -> %s\n", o.tap.c_str(), o.mode.c_str(), o.local.c_str(),
              o.port, o.peer.c_str());
  std::fflush(stdout);

  std::vector<uint8_t> out_storage(kBatch * kBufferSize), in_storage(kBatch * kBufferSize);
  mmsghdr out_msgs[kBatch], in_msgs[kBatch];
  iovec out_iov[kBatch], in_iov[kBatch];
  Counters c;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.seconds_max);
  pollfd fds[2] = {{tap, POLLIN, 0}, {udp, POLLIN, 0}};
  while (!g_stop && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds, 2, 200) <= 0) continue;
    if (fds[0].revents & POLLIN) {  // TAP -> underlay
      size_t n = 0;
      for (; n < kBatch; ++n) {
        uint8_t* buffer = out_storage.data() + n * kBufferSize;
        VirtioNetHeader vnet;
        iovec iov[2] = {{&vnet, sizeof vnet}, {buffer + kPrefix, kBufferSize - kPrefix}};
        const ssize_t got = readv(tap, iov, 2);
        if (got < ssize_t(sizeof vnet)) break;
        const uint32_t size = uint32_t(got - ssize_t(sizeof vnet));
        ++c.tap_in;
        if (vnet.gso_type != openvpc::io::kVirtioGsoNone) ++c.tso_in;
        if (!tso) {  // as the router: finish the checksum, send a plain frame
          if (openvpc::io::complete_checksum({buffer + kPrefix, size}, vnet) !=
              openvpc::io::OffloadError::none) {
            ++c.bad;
            --n;
            continue;
          }
          vnet = VirtioNetHeader{};
        }
        std::memcpy(buffer, &kMagic, 4);
        std::memcpy(buffer + 4, &vnet, sizeof vnet);
        out_iov[n] = {buffer, kPrefix + size};
        out_msgs[n] = {};
        out_msgs[n].msg_hdr.msg_iov = &out_iov[n];
        out_msgs[n].msg_hdr.msg_iovlen = 1;
      }
      for (size_t done = 0; done < n;) {
        const int sent = sendmmsg(udp, out_msgs + done, unsigned(n - done), 0);
        if (sent <= 0) {
          c.udp_out_dropped += n - done;
          break;
        }
        done += size_t(sent);
        c.udp_out += size_t(sent);
      }
    }
    if (fds[1].revents & POLLIN) {  // underlay -> TAP
      for (size_t i = 0; i < kBatch; ++i) {
        in_iov[i] = {in_storage.data() + i * kBufferSize, kBufferSize};
        in_msgs[i] = {};
        in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
        in_msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int got = recvmmsg(udp, in_msgs, kBatch, MSG_DONTWAIT, nullptr);
      for (int i = 0; i < got; ++i) {
        uint8_t* buffer = in_storage.data() + size_t(i) * kBufferSize;
        const size_t size = in_msgs[i].msg_len;
        uint32_t magic;
        std::memcpy(&magic, buffer, 4);
        if (size < kPrefix + 14 || magic != kMagic) {
          ++c.bad;
          continue;
        }
        ++c.udp_in;
        iovec iov[2] = {{buffer + 4, sizeof(VirtioNetHeader)}, {buffer + kPrefix, size - kPrefix}};
        if (writev(tap, iov, 2) == ssize_t(sizeof(VirtioNetHeader) + size - kPrefix)) {
          ++c.tap_out;
        } else {
          ++c.tap_out_failed;
        }
      }
    }
  }
  std::printf(
      "tap_in %lu (tso %lu) udp_out %lu udp_out_dropped %lu udp_in %lu tap_out %lu "
      "tap_out_failed %lu bad %lu\n",
      c.tap_in, c.tso_in, c.udp_out, c.udp_out_dropped, c.udp_in, c.tap_out, c.tap_out_failed,
      c.bad);
  close(tap);
  close(udp);
  return 0;
}
