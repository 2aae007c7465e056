#include "router/capture.h"

#include <gtest/gtest.h>

#include <thread>

namespace openvpc::router {
namespace {

std::vector<io::Frame> frames_of(std::vector<std::vector<uint8_t>>& buffers) {
  std::vector<io::Frame> frames;
  for (auto& b : buffers) frames.push_back({b.data(), uint32_t(b.size()), uint32_t(b.size()), {}});
  return frames;
}

TEST(EniCapture, QueuesOnlyTheWatchedEniAndOneSessionAtATime) {
  EniCapture capture;
  EXPECT_EQ(EniCapture::eni_of(capture.watch()), 0u);
  EXPECT_FALSE(capture.start(0));
  ASSERT_TRUE(capture.start(101));
  EXPECT_FALSE(capture.start(102));  // one session at a time
  EXPECT_EQ(EniCapture::eni_of(capture.watch()), 101u);
  std::vector<std::vector<uint8_t>> buffers = {{1, 2, 3}, {4, 5}};
  const auto frames = frames_of(buffers);
  capture.offer(capture.watch(), frames);
  std::vector<CapturedFrame> out;
  EXPECT_EQ(capture.take(out, 10), 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, buffers[0]);
  EXPECT_EQ(out[1].original_size, 2u);
  EXPECT_GT(out[0].timestamp.count(), 0);
  const uint64_t old_watch = capture.watch();
  capture.stop();
  EXPECT_EQ(EniCapture::eni_of(capture.watch()), 0u);
  capture.offer(old_watch, frames);  // a worker that read the watch before stop()
  ASSERT_TRUE(capture.start(102));
  out.clear();
  EXPECT_EQ(capture.take(out, 10), 0u);  // the old session's frames are discarded
  capture.stop();
  EXPECT_EQ(capture.stats().frames_captured, 4u);
  EXPECT_EQ(capture.stats().sessions, 2u);
}

TEST(EniCapture, FullQueueDropsAndCountsAndLongFramesAreCut) {
  EniCapture capture;
  ASSERT_TRUE(capture.start(7));
  std::vector<std::vector<uint8_t>> buffers(EniCapture::kSlotCount + 5, std::vector<uint8_t>(60));
  buffers[0].resize(EniCapture::kSnapLength + 100, 0xab);
  const auto frames = frames_of(buffers);
  capture.offer(capture.watch(), frames);
  EXPECT_EQ(capture.stats().frames_dropped, 5u);
  std::vector<CapturedFrame> out;
  EXPECT_EQ(capture.take(out, EniCapture::kSlotCount * 2), EniCapture::kSlotCount);
  EXPECT_EQ(out[0].bytes.size(), EniCapture::kSnapLength);
  EXPECT_EQ(out[0].original_size, EniCapture::kSnapLength + 100);
  capture.offer(capture.watch(), std::span(frames).first(1));  // room again
  out.clear();
  EXPECT_EQ(capture.take(out, 10), 1u);
  capture.stop();
}

TEST(EniCapture, ManyProducersOneReaderLoseNothingTheQueueHolds) {
  EniCapture capture;
  ASSERT_TRUE(capture.start(9));
  constexpr int kProducers = 4, kBatches = 200;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&capture, p] {
      std::vector<std::vector<uint8_t>> buffers(4, std::vector<uint8_t>(64, uint8_t(p)));
      const auto frames = frames_of(buffers);
      for (int i = 0; i < kBatches; ++i) capture.offer(capture.watch(), frames);
    });
  }
  size_t taken = 0;
  std::vector<CapturedFrame> out;
  auto drain = [&] {
    out.clear();
    taken += capture.take(out, 1000);
    for (const auto& frame : out) ASSERT_EQ(frame.bytes.size(), 64u);
  };
  for (int i = 0; i < 200; ++i) drain();
  for (auto& t : producers) t.join();
  drain();
  const auto stats = capture.stats();
  EXPECT_EQ(stats.frames_captured + stats.frames_dropped, uint64_t{kProducers * kBatches * 4});
  EXPECT_EQ(taken, stats.frames_captured);
  capture.stop();
}

}  // namespace
}  // namespace openvpc::router
