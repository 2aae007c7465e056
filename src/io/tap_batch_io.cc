// tap_batch_io.cc — TAP reads and writes in batches through io_uring (see tap_batch_io.h).
#include "io/tap_batch_io.h"

#include <liburing.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

namespace openvpc::io {

struct TapBatchIo::Ring {
  io_uring ring{};
  bool ready = false;
  std::array<iovec, 2 * kEntries> iov{};      // header + data for each queued entry
  std::array<int32_t, kEntries> results{};    // by user_data
  std::array<uint32_t, kEntries> owner{};     // send(): the TapWrite of each entry
  std::array<uint32_t, kEntries> expected{};  // send(): the bytes a whole write takes

  ~Ring() {
    if (ready) io_uring_queue_exit(&ring);
  }
};

Result<TapBatchIo> TapBatchIo::create() {
  auto ring = std::make_unique<Ring>();
  const int status = io_uring_queue_init(kEntries, &ring->ring, 0);
  if (status < 0) {
    return make_error("io.tap_batch", std::string("io_uring_setup: ") + std::strerror(-status));
  }
  ring->ready = true;
  return TapBatchIo(std::move(ring));
}

TapBatchIo::TapBatchIo(std::unique_ptr<Ring> ring) : ring_(std::move(ring)) {}
TapBatchIo::TapBatchIo(TapBatchIo&&) noexcept = default;
TapBatchIo& TapBatchIo::operator=(TapBatchIo&&) noexcept = default;
TapBatchIo::~TapBatchIo() = default;

void TapBatchIo::submit_and_collect(unsigned count) {
  Ring& r = *ring_;
  constexpr int32_t kPending = INT32_MIN;
  std::fill_n(r.results.begin(), count, kPending);
  unsigned collected = 0;
  int status = io_uring_submit_and_wait(&r.ring, count);
  ++stats_.submits;
  while (true) {
    io_uring_cqe* cqe = nullptr;
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_for_each_cqe(&r.ring, head, cqe) {
      r.results[cqe->user_data % kEntries] = cqe->res;
      ++seen;
    }
    io_uring_cq_advance(&r.ring, seen);
    collected += seen;
    if (collected >= count) return;
    // Interrupted while waiting, or a write the kernel finished on its own thread.
    if (status < 0 && status != -EINTR && status != -EAGAIN && status != -EBUSY) {
      // The ring itself refused (it never does with a queue this size): fail what is left
      // rather than wait for completions that will not come.
      for (unsigned i = 0; i < count; ++i) {
        if (r.results[i] == kPending) r.results[i] = status;
      }
      return;
    }
    status = io_uring_submit_and_wait(&r.ring, count - collected);
    ++stats_.submits;
  }
}

size_t TapBatchIo::receive(int fd, std::span<Frame> frames, size_t first_round) {
  Ring& r = *ring_;
  size_t count = 0;     // frames filled: always frames[0..count)
  size_t attempts = 0;  // bounded, as TapPort::receive: a failing descriptor cannot spin
  size_t round = std::max<size_t>(first_round, 1);
  while (count < frames.size() && attempts < 2 * frames.size()) {
    const auto n = unsigned(std::min({round, frames.size() - count, size_t{kEntries}}));
    for (unsigned i = 0; i < n; ++i) {
      Frame& frame = frames[count + i];
      iovec* iov = &r.iov[2 * i];
      iov[0] = {&frame.vnet, sizeof frame.vnet};
      iov[1] = {frame.data, frame.capacity};
      // Never null: the queue is empty between calls and n <= kEntries.
      io_uring_sqe* sqe = io_uring_get_sqe(&r.ring);
      io_uring_prep_readv2(sqe, fd, iov, 2, 0, RWF_NOWAIT);
      io_uring_sqe_set_data64(sqe, i);
    }
    submit_and_collect(n);
    attempts += n;
    unsigned filled = 0;
    bool drained = false;
    for (unsigned i = 0; i < n; ++i) {
      const int32_t result = r.results[i];
      if (result == -EAGAIN) {
        drained = true;
        continue;
      }
      if (result < int32_t(sizeof(VirtioNetHeader))) {
        ++stats_.receive_errors;  // e.g. a frame larger than the buffer: the kernel drops it
        continue;
      }
      frames[count + i].size = uint32_t(result) - uint32_t(sizeof(VirtioNetHeader));
      if (i != filled) std::swap(frames[count + filled], frames[count + i]);
      ++filled;
    }
    count += filled;
    if (drained) break;
    round *= 2;
  }
  stats_.received += count;
  return count;
}

void TapBatchIo::send(std::span<TapWrite> writes) {
  Ring& r = *ring_;
  unsigned queued = 0;
  const auto complete = [&] {
    submit_and_collect(queued);
    for (unsigned i = 0; i < queued; ++i) {
      if (r.results[i] >= 0 && uint32_t(r.results[i]) == r.expected[i]) {
        ++writes[r.owner[i]].sent;
        ++stats_.sent;
      } else {
        ++stats_.send_errors;
      }
    }
    queued = 0;
  };
  for (size_t w = 0; w < writes.size(); ++w) {
    writes[w].sent = 0;
    for (const Frame& frame : writes[w].frames) {
      if (queued == kEntries) complete();
      iovec* iov = &r.iov[2 * queued];
      iov[0] = {const_cast<VirtioNetHeader*>(&frame.vnet), sizeof frame.vnet};
      iov[1] = {frame.data, frame.size};
      io_uring_sqe* sqe = io_uring_get_sqe(&r.ring);
      io_uring_prep_writev(sqe, writes[w].fd, iov, 2, 0);
      io_uring_sqe_set_data64(sqe, queued);
      r.owner[queued] = uint32_t(w);
      r.expected[queued] = uint32_t(sizeof frame.vnet + frame.size);
      ++queued;
    }
  }
  if (queued > 0) complete();
}

}  // namespace openvpc::io
