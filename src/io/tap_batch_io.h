// tap_batch_io.h — a batch of TAP reads or writes in one system call, through io_uring.
//
// A TAP has no recvmmsg: every frame read or written is a readv/writev of its own, and end to
// end that was most of a router's time (bench/README.md, "End to end against the peers"). A
// TapBatchIo is one io_uring (liburing, Debian liburing-dev) owned by one worker thread. Its
// reads and writes complete inside io_uring_enter, in submission order, as the readv/writev
// they replace would have: a TAP never blocks a writer, and reads carry RWF_NOWAIT, so a read
// with no frame waiting completes at once with EAGAIN instead of waiting for one.
//
// receive() does not know how many frames wait (a TAP has no FIONREAD), so it reads in rounds
// that double from the caller's guess (the last batch's size + 1 serves well) and stops at
// the first round that comes back short. One round is one system call, where the readv loop
// made one per frame and one more to find the queue empty: a request/response flow (one frame
// a wakeup) costs one call instead of two, a flood 64 frames in one or two.
//
// create() fails where io_uring is not available (an older kernel, a seccomp filter that
// refuses io_uring_setup, kernel.io_uring_disabled); the caller then keeps TapPort's
// readv/writev, which behave the same frame for frame.
//
// Threading: one thread only (the ring's submission queue has a single producer). Nothing is
// allocated after create(); the data-plane calls never throw.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "common/result.h"
#include "io/frame.h"

namespace openvpc::io {

// The frames for one TAP in a send(): `sent` is filled in (frames the kernel took).
struct TapWrite {
  int fd = -1;
  std::span<const Frame> frames;
  size_t sent = 0;
  size_t tag = 0;  // the caller's own (e.g. which port): not read here
};

struct TapBatchIoStats {
  uint64_t submits = 0;         // io_uring_enter calls: the system calls made
  uint64_t received = 0;        // frames read
  uint64_t receive_errors = 0;  // reads that failed other than "no frame waiting"
  uint64_t sent = 0;            // frames written whole
  uint64_t send_errors = 0;     // writes refused or short
};

class TapBatchIo {
 public:
  // Frames one system call carries at most; larger batches take several.
  static constexpr unsigned kEntries = 128;

  static Result<TapBatchIo> create();

  TapBatchIo(TapBatchIo&&) noexcept;
  TapBatchIo& operator=(TapBatchIo&&) noexcept;
  TapBatchIo(const TapBatchIo&) = delete;
  TapBatchIo& operator=(const TapBatchIo&) = delete;
  ~TapBatchIo();

  // TapPort::receive's contract for the TAP open on `fd`: fills up to frames.size() frames
  // (each one's data/capacity set by the caller) in the order the TAP gave them and returns
  // how many; never blocks. Filled frames may trade places with unfilled ones (a Frame moves
  // whole, its buffer with it), so read the buffers through frames[0..count).
  // `first_round`: the reads of the first system call (at least 1).
  size_t receive(int fd, std::span<Frame> frames, size_t first_round = 4);

  // Writes every TapWrite's frames (virtio-net header first) and sets each one's `sent`. A
  // frame the kernel refuses is counted and skipped; the others still go.
  void send(std::span<TapWrite> writes);

  const TapBatchIoStats& stats() const { return stats_; }

 private:
  struct Ring;
  explicit TapBatchIo(std::unique_ptr<Ring> ring);
  // Submits what is queued, waits until `count` completions are in, and stores each one's
  // result by its user_data (an index below kEntries).
  void submit_and_collect(unsigned count);

  std::unique_ptr<Ring> ring_;
  TapBatchIoStats stats_;
};

}  // namespace openvpc::io
