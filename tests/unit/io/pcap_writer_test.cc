// pcap_writer_test.cc — pcap files read back byte by byte, and by tshark when installed.
#include "io/pcap_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_packets.h"

namespace openvpc::io {
namespace {

using namespace std::chrono_literals;
using namespace openvpc::io::testing;

uint32_t le32(const uint8_t* p) {
  return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A temporary file removed when the test ends, whatever happens.
struct TempFile {
  std::string path = "/tmp/ovt-io-" + std::to_string(getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".pcap";
  ~TempFile() { unlink(path.c_str()); }
};

std::vector<uint8_t> udp_frame(uint16_t destination_port, size_t payload_size, bool ethernet) {
  std::vector<uint8_t> f;
  if (ethernet) append_ethernet(f, Mac{{2, 0, 0, 0, 0, 2}}, Mac{{2, 0, 0, 0, 0, 1}}, 0x0800);
  const size_t ip = append_ipv4(f, 0x0a000001, 0x0a000002, 17, uint16_t(8 + payload_size));
  f.resize(ip + 28);
  put16(f, ip + 20, 40000);
  put16(f, ip + 22, destination_port);
  put16(f, ip + 24, uint16_t(8 + payload_size));
  f.resize(f.size() + payload_size, 0xab);
  return f;
}

TEST(PcapWriter, WritesClassicHeaderAndRecords) {
  TempFile file;
  const auto a = udp_frame(53, 10, true), b = udp_frame(6081, 300, true);
  {
    Result<PcapWriter> w = PcapWriter::open(file.path, PcapLinkType::ethernet, 200);
    ASSERT_TRUE(w) << w.error().message;
    ASSERT_TRUE(w->write(a, 1700000000s + 123456us));
    ASSERT_TRUE(w->write(b, 1700000001s + 999999us + 999ns));
    ASSERT_TRUE(w->flush());
    EXPECT_EQ(w->packets_written(), 2u);
  }
  const auto bytes = read_file(file.path);
  ASSERT_EQ(bytes.size(), 24 + 16 + a.size() + 16 + 200);
  EXPECT_EQ(le32(&bytes[0]), 0xa1b2c3d4u);
  EXPECT_EQ(bytes[4], 2);  // version 2.4
  EXPECT_EQ(bytes[6], 4);
  EXPECT_EQ(le32(&bytes[16]), 200u);  // snap length
  EXPECT_EQ(le32(&bytes[20]), 1u);    // LINKTYPE_ETHERNET
  const uint8_t* r = &bytes[24];
  EXPECT_EQ(le32(r), 1700000000u);
  EXPECT_EQ(le32(r + 4), 123456u);
  EXPECT_EQ(le32(r + 8), a.size());
  EXPECT_EQ(le32(r + 12), a.size());
  EXPECT_EQ(std::vector<uint8_t>(r + 16, r + 16 + a.size()), a);
  r += 16 + a.size();
  EXPECT_EQ(le32(r), 1700000001u);
  EXPECT_EQ(le32(r + 4), 999999u);
  EXPECT_EQ(le32(r + 8), 200u) << "cut to the snap length";
  EXPECT_EQ(le32(r + 12), b.size()) << "original length kept";
}

TEST(PcapWriter, ABufferWriterHandsOutTheSameBytesInChunks) {
  TempFile file;
  const auto a = udp_frame(53, 10, true), b = udp_frame(6081, 300, true);
  {
    Result<PcapWriter> w = PcapWriter::open(file.path, PcapLinkType::ethernet, 200);
    ASSERT_TRUE(w) << w.error().message;
    ASSERT_TRUE(w->write(a, 5s));
    ASSERT_TRUE(w->write(std::span(b).first(100), 6s, uint32_t(b.size())));  // cut elsewhere
  }
  Result<PcapWriter> buffer = PcapWriter::open_buffer(PcapLinkType::ethernet, 200);
  ASSERT_TRUE(buffer) << buffer.error().message;
  std::string streamed = buffer->take();
  EXPECT_EQ(streamed.size(), 24u) << "the file header comes first";
  ASSERT_TRUE(buffer->write(a, 5s));
  streamed += buffer->take();
  ASSERT_TRUE(buffer->write(std::span(b).first(100), 6s, uint32_t(b.size())));
  streamed += buffer->take();
  EXPECT_EQ(buffer->take(), "");
  const auto bytes = read_file(file.path);
  EXPECT_EQ(std::vector<uint8_t>(streamed.begin(), streamed.end()), bytes);
  ASSERT_EQ(bytes.size(), 24 + 16 + a.size() + 16 + 100);
  const uint8_t* r = &bytes[24 + 16 + a.size()];
  EXPECT_EQ(le32(r + 8), 100u);
  EXPECT_EQ(le32(r + 12), b.size()) << "the original length the caller gave";
}

TEST(PcapWriter, OpenFailsOnAnImpossiblePath) {
  EXPECT_FALSE(PcapWriter::open("/nonexistent-dir-ovt-io/x.pcap", PcapLinkType::raw));
}

// tshark's reading of a file; empty when tshark is not installed.
std::string tshark_fields(const std::string& path) {
  if (access("/usr/bin/tshark", X_OK) != 0) return {};
  const std::string command = "/usr/bin/tshark -n -r " + path +
                              " -T fields -e frame.len -e ip.src -e udp.dstport 2>/dev/null";
  std::FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char chunk[256];
  while (pipe && std::fgets(chunk, sizeof chunk, pipe)) out += chunk;
  if (pipe) pclose(pipe);
  return out;
}

TEST(PcapWriter, TsharkReadsEthernetAndRawFiles) {
  if (access("/usr/bin/tshark", X_OK) != 0) GTEST_SKIP() << "tshark not installed";
  for (const bool ethernet : {true, false}) {
    SCOPED_TRACE(ethernet ? "LINKTYPE_ETHERNET" : "LINKTYPE_RAW");
    TempFile file;
    {
      Result<PcapWriter> w =
          PcapWriter::open(file.path, ethernet ? PcapLinkType::ethernet : PcapLinkType::raw);
      ASSERT_TRUE(w) << w.error().message;
      ASSERT_TRUE(w->write(udp_frame(53, 10, ethernet), 1s));
      ASSERT_TRUE(w->write(udp_frame(7777, 20, ethernet), 2s));
    }
    const size_t l2 = ethernet ? 14 : 0;
    EXPECT_EQ(tshark_fields(file.path), std::to_string(l2 + 38) + "\t10.0.0.1\t53\n" +
                                            std::to_string(l2 + 48) + "\t10.0.0.1\t7777\n");
  }
}

}  // namespace
}  // namespace openvpc::io
