// io_loopback_bench — UDP underlay datagrams/s on loopback, 127.0.0.2 -> 127.0.0.3, with
// sendmmsg/recvmmsg batches of 1, 32 and 64, plain and with UDP GSO / GRO.
//
//   io-loopback-bench [SECONDS=3] [PAYLOAD_BYTES=64]
//
// One sender thread and one receiver thread run for SECONDS per row; the row reports
// datagrams/s sent and received (GRO buffers counted per datagram). Wall-clock numbers on a
// shared machine drift: compare rows of one run, not runs.
#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "io/underlay_socket.h"

namespace {

using openvpc::io::Datagram;
using openvpc::io::UnderlaySocket;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kSender = 0x7f000002;
constexpr uint32_t kReceiver = 0x7f000003;

struct Row {
  const char* mode;
  size_t batch;
  bool gso;
  bool gro;
};

struct Rates {
  double sent = 0;
  double received = 0;
};

Rates run(const Row& row, double seconds, uint32_t payload) {
  auto tx = UnderlaySocket::open({kSender, 0, false, row.gso});
  auto rx = UnderlaySocket::open({kReceiver, 0, row.gro, false});
  if (!tx || !rx) {
    std::fprintf(stderr, "open: %s\n", (!tx ? tx.error() : rx.error()).message.c_str());
    std::exit(1);
  }
  std::atomic<bool> stop{false};
  uint64_t received = 0;
  std::thread receiver([&] {
    const uint32_t capacity = row.gro ? 65536 : 2048;
    std::vector<std::vector<uint8_t>> buffers(row.batch, std::vector<uint8_t>(capacity));
    std::vector<Datagram> in;
    for (auto& b : buffers) in.push_back({b.data(), 0, capacity});
    while (!stop.load(std::memory_order_relaxed)) {
      pollfd p{rx->fd(), POLLIN, 0};
      if (poll(&p, 1, 10) <= 0) continue;
      rx->receive(in);
    }
    received = rx->stats().received;
  });
  std::vector<uint8_t> payload_bytes(payload, 0x42);
  std::vector<Datagram> out(
      row.batch, Datagram{payload_bytes.data(), payload, payload, kReceiver, rx->port(), 0, 0});
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    if (tx->send(out) == 0) {
      pollfd p{tx->fd(), POLLOUT, 0};
      poll(&p, 1, 1);
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the receiver drain
  stop = true;
  receiver.join();
  return {double(tx->stats().sent) / elapsed, double(received) / elapsed};
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const uint32_t payload = argc > 2 ? uint32_t(std::atoi(argv[2])) : 64;
  if (seconds <= 0 || payload == 0 || payload > 1472) {
    std::fprintf(stderr, "usage: io-loopback-bench [SECONDS>0] [PAYLOAD_BYTES 1..1472]\n");
    return 2;
  }
  const Row rows[] = {
      {"sendmmsg/recvmmsg", 1, false, false},  {"sendmmsg/recvmmsg", 32, false, false},
      {"sendmmsg/recvmmsg", 64, false, false}, {"+ UDP GSO", 64, true, false},
      {"+ UDP GSO + GRO", 64, true, true},
  };
  std::printf("payload %u bytes, %.1f s per row, 127.0.0.2 -> 127.0.0.3\n", payload, seconds);
  std::printf("%-20s %6s %14s %14s\n", "mode", "batch", "sent/s", "received/s");
  for (const Row& row : rows) {
    const Rates r = run(row, seconds, payload);
    std::printf("%-20s %6zu %14.0f %14.0f\n", row.mode, row.batch, r.sent, r.received);
    std::fflush(stdout);
  }
  return 0;
}
