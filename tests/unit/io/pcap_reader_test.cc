// pcap_reader_test.cc — capture files read back through libpcap: what PcapWriter wrote, a
// big-endian nanosecond file written by hand, and the files it must refuse.
#include "io/pcap_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "io/pcap_writer.h"

namespace openvpc::io {
namespace {

using namespace std::chrono_literals;

struct TempFile {
  std::string path = "/tmp/ovt-io-" + std::to_string(getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".pcap";
  ~TempFile() { unlink(path.c_str()); }
};

void put32_be(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += char((v >> shift) & 0xff);
}
void put16_be(std::string& out, uint16_t v) {
  out += char(v >> 8);
  out += char(v & 0xff);
}

// A classic file header, written big-endian (the byte order a reader must detect).
std::string big_endian_header(uint32_t magic, uint32_t link_type) {
  std::string header;
  put32_be(header, magic);
  put16_be(header, 2);  // version 2.4
  put16_be(header, 4);
  put32_be(header, 0);  // thiszone
  put32_be(header, 0);  // sigfigs
  put32_be(header, 65535);
  put32_be(header, link_type);
  return header;
}

TEST(PcapReader, ReadsWhatTheWriterWrote) {
  TempFile file;
  const std::vector<uint8_t> first(60, 0x11), second(300, 0x22);
  {
    auto writer = PcapWriter::open(file.path, PcapLinkType::raw, 128);
    ASSERT_TRUE(writer) << writer.error().message;
    ASSERT_TRUE(writer->write(first, 1700000000s + 5us));
    ASSERT_TRUE(writer->write(second, 1700000001s));
  }
  auto reader = PcapReader::open(file.path);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(reader->link_type(), PcapLinkType::raw);
  auto a = reader->next();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->timestamp, 1700000000s + 5us);
  EXPECT_EQ(std::vector<uint8_t>(a->bytes.begin(), a->bytes.end()), first);
  auto b = reader->next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->bytes.size(), 128u);
  EXPECT_EQ(b->original_size, 300u);
  EXPECT_FALSE(reader->next());
}

TEST(PcapReader, ReadsBigEndianNanosecondFiles) {
  TempFile file;
  std::string bytes = big_endian_header(0xa1b23c4d, 1);  // nanoseconds, LINKTYPE_ETHERNET
  put32_be(bytes, 1700000000);
  put32_be(bytes, 123456789);
  put32_be(bytes, 3);
  put32_be(bytes, 3);
  bytes += "abc";
  std::ofstream(file.path, std::ios::binary) << bytes;
  auto reader = PcapReader::open(file.path);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(reader->link_type(), PcapLinkType::ethernet);
  auto record = reader->next();
  ASSERT_TRUE(record);
  EXPECT_EQ(record->timestamp, 1700000000s + 123456789ns);
  EXPECT_EQ(std::string(record->bytes.begin(), record->bytes.end()), "abc");
}

TEST(PcapReader, RefusesWhatItCannotRead) {
  EXPECT_EQ(PcapReader::open("/nonexistent-ovt-io.pcap").error().code, "io.pcap");
  TempFile file;
  std::ofstream(file.path) << "not a capture file at all, just text\n";
  EXPECT_EQ(PcapReader::open(file.path).error().code, "io.pcap");
  std::ofstream(file.path, std::ios::binary | std::ios::trunc)
      << big_endian_header(0xa1b2c3d4, 105);  // LINKTYPE_IEEE802_11
  auto reader = PcapReader::open(file.path);
  ASSERT_FALSE(reader);
  EXPECT_NE(reader.error().message.find("unsupported link type"), std::string::npos)
      << reader.error().message;
}

}  // namespace
}  // namespace openvpc::io
