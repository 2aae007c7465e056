// FlowLogFiles: records of a program's flow logs become lines in their destination files under
// ROOT/ACCOUNT/ — header, default and custom formats, the traffic-type filter, rotation,
// failures counted, and the status (error) that the router reports to the controller.
#include "router/flow_log_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "router/flow_log_writer.h"

namespace openvpc::router {
namespace {

namespace fs = std::filesystem;
using flowlog::FlowAction;
using flowlog::FlowLogRecord;
using program::FlowLogTraffic;

constexpr const char* kAccount = "123456789012";
constexpr const char* kDefaultHeader =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status\n";

class FlowLogFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "flowlogs-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // One VPC, one subnet, ENI 7 (eni-0a) with instance i-0a, and the given flow logs.
  static program::Program program_with(std::vector<program::FlowLog> logs) {
    program::Program p;
    p.region = "us-east-1";
    p.vpcs = {{5, "vpc-05", {program::cidr_literal("10.0.0.0/16")}, true, false}};
    p.subnets = {{9, "subnet-09", 5, program::cidr_literal("10.0.1.0/24"), 1, 1}};
    program::Eni eni;
    eni.id = 7;
    eni.name = "eni-0a";
    eni.subnet = 9;
    eni.instance_id = "i-0a";
    p.enis = {eni};
    p.flow_logs = std::move(logs);
    return p;
  }
  static program::FlowLog log(const std::string& file, FlowLogTraffic traffic = FlowLogTraffic::all,
                              std::string format = "") {
    return {1, "fl-" + file, kAccount, traffic, std::move(format), file, 60, {7}};
  }
  FlowLogFileOptions options(uint64_t rotate_size = uint64_t{64} << 20,
                             unsigned keep_rotated = 5) const {
    return {dir_.string(), rotate_size, keep_rotated};
  }
  static EniFlowRecord record(FlowAction action, uint16_t dst_port, uint32_t start = 1000) {
    FlowLogRecord r;
    r.tuple.src = packet::IpAddress::v4(0x0a000105);  // 10.0.1.5
    r.tuple.dst = packet::IpAddress::v4(0x0a000206);  // 10.0.2.6
    r.tuple.src_port = 40000;
    r.tuple.dst_port = dst_port;
    r.tuple.protocol = 6;
    r.tuple.ip_version = 4;
    r.packets = 3;
    r.bytes = 180;
    r.start = start;
    r.end = start + 2;
    r.action = action;
    return {7, r};
  }
  fs::path account_dir() const { return dir_ / kAccount; }
  std::string read(const std::string& file) const {
    std::ifstream in(account_dir() / file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
};

TEST_F(FlowLogFilesTest, DefaultFormatLinesAfterAHeader) {
  FlowLogFiles files(options());
  files.configure(program_with({log("flows.log")}));
  const EniFlowRecord records[] = {record(FlowAction::accept, 80), record(FlowAction::reject, 22)};
  files.deliver(records);
  files.deliver(std::span(records).first(1));  // appended; no second header
  EXPECT_EQ(read("flows.log"),
            std::string(kDefaultHeader) +
                "2 123456789012 eni-0a 10.0.1.5 10.0.2.6 40000 80 6 3 180 1000 1002 ACCEPT OK\n"
                "2 123456789012 eni-0a 10.0.1.5 10.0.2.6 40000 22 6 3 180 1000 1002 REJECT OK\n"
                "2 123456789012 eni-0a 10.0.1.5 10.0.2.6 40000 80 6 3 180 1000 1002 ACCEPT OK\n");
  const auto deliveries = files.deliveries();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].records_written, 3u);
  EXPECT_EQ(deliveries[0].records_failed, 0u);
}

TEST_F(FlowLogFilesTest, TrafficTypeKeepsItsActionAndEveryLogGetsSkipdata) {
  FlowLogFiles files(options());
  auto accepts = log("accept.log", FlowLogTraffic::accept);
  auto rejects = log("reject.log", FlowLogTraffic::reject);
  rejects.id = 2;
  files.configure(program_with({accepts, rejects}));
  EniFlowRecord skip{7, {}};
  skip.record.status = flowlog::LogStatus::skipdata;
  skip.record.start = 960;
  skip.record.end = 1020;
  const EniFlowRecord records[] = {record(FlowAction::accept, 80), record(FlowAction::reject, 22),
                                   skip};
  files.deliver(records);
  const std::string skipdata = "2 123456789012 eni-0a - - - - - - - 960 1020 - SKIPDATA\n";
  EXPECT_EQ(read("accept.log"),
            std::string(kDefaultHeader) +
                "2 123456789012 eni-0a 10.0.1.5 10.0.2.6 40000 80 6 3 180 1000 1002 ACCEPT OK\n" +
                skipdata);
  EXPECT_EQ(read("reject.log"),
            std::string(kDefaultHeader) +
                "2 123456789012 eni-0a 10.0.1.5 10.0.2.6 40000 22 6 3 180 1000 1002 REJECT OK\n" +
                skipdata);
}

TEST_F(FlowLogFilesTest, CustomFormatNamesComeFromTheProgram) {
  FlowLogFiles files(options());
  files.configure(program_with({log("custom.log", FlowLogTraffic::all,
                                    "${version} ${vpc-id} ${subnet-id} ${instance-id} "
                                    "${interface-id} ${region} ${dstport} ${flow-direction}")}));
  const EniFlowRecord records[] = {record(FlowAction::accept, 443)};
  files.deliver(records);
  EXPECT_EQ(read("custom.log"),
            "version vpc-id subnet-id instance-id interface-id region dstport flow-direction\n"
            "5 vpc-05 subnet-09 i-0a eni-0a us-east-1 443 ingress\n");
}

TEST_F(FlowLogFilesTest, RecordsOfEnisWithoutAFlowLogAreNotWritten) {
  FlowLogFiles files(options());
  files.configure(program_with({log("flows.log")}));
  EniFlowRecord other = record(FlowAction::accept, 80);
  other.eni = 8;
  files.deliver(std::span(&other, 1));
  EXPECT_FALSE(fs::exists(account_dir() / "flows.log"));
  files.configure(program_with({}));  // the flow log was deleted
  const EniFlowRecord records[] = {record(FlowAction::accept, 80)};
  files.deliver(records);
  EXPECT_FALSE(fs::exists(account_dir() / "flows.log"));
  EXPECT_TRUE(files.deliveries().empty());
}

TEST_F(FlowLogFilesTest, RotatesBySizeAndKeepsTheNewestFiles) {
  FlowLogFiles files(options(/*rotate_size=*/300, /*keep_rotated=*/2));
  files.configure(program_with({log("flows.log")}));
  // Header (114 bytes) + two lines (79 each) fit in 300; each delivery of two more rotates.
  for (uint32_t round = 0; round < 4; ++round) {
    const EniFlowRecord records[] = {record(FlowAction::accept, 80, 1000 + round),
                                     record(FlowAction::accept, 81, 1000 + round)};
    files.deliver(records);
  }
  EXPECT_TRUE(fs::exists(account_dir() / "flows.log.1"));
  EXPECT_TRUE(fs::exists(account_dir() / "flows.log.2"));
  EXPECT_FALSE(fs::exists(account_dir() / "flows.log.3"));
  for (const char* file : {"flows.log", "flows.log.1", "flows.log.2"}) {
    const std::string text = read(file);
    EXPECT_EQ(text.rfind(kDefaultHeader, 0), 0u) << file;
    EXPECT_LE(text.size(), 300u) << file;
  }
  EXPECT_NE(read("flows.log").find(" 1003 1005 "), std::string::npos);
  EXPECT_NE(read("flows.log.1").find(" 1002 1004 "), std::string::npos);
  EXPECT_NE(read("flows.log.2").find(" 1001 1003 "), std::string::npos);
  const auto deliveries = files.deliveries();
  EXPECT_EQ(deliveries[0].rotations, 3u);
  EXPECT_EQ(deliveries[0].records_written, 8u);
}

TEST_F(FlowLogFilesTest, FailuresAreCountedWithTheirReason) {
  FlowLogFiles files(options());
  fs::create_directories(account_dir());
  std::ofstream(account_dir() / "plain") << "a file, not a directory\n";
  auto not_a_directory = log("plain/flows.log");
  auto link = log("passwd");
  link.id = 2;
  fs::create_symlink("/etc/passwd", account_dir() / "passwd");
  auto unknown_field = log("bad.log", FlowLogTraffic::all, "${version} ${colour}");
  unknown_field.id = 3;
  files.configure(program_with({not_a_directory, link, unknown_field}));
  const EniFlowRecord records[] = {record(FlowAction::accept, 80), record(FlowAction::reject, 22)};
  files.deliver(records);
  const auto deliveries = files.deliveries();
  ASSERT_EQ(deliveries.size(), 3u);
  for (const auto& d : deliveries) {
    EXPECT_EQ(d.records_written, 0u) << d.flow_log;
    EXPECT_EQ(d.records_failed, 2u) << d.flow_log;
    EXPECT_EQ(d.error, d.last_error) << d.flow_log;
  }
  EXPECT_EQ(deliveries[0].last_error, "Access error: plain/flows.log: Not a directory");
  EXPECT_EQ(deliveries[1].last_error, "Access error: passwd: Too many levels of symbolic links");
  EXPECT_NE(deliveries[2].last_error.find("${colour}"), std::string::npos)
      << deliveries[2].last_error;
  EXPECT_FALSE(fs::exists(account_dir() / "bad.log"));
}

TEST_F(FlowLogFilesTest, StatusIsKnownAtConfigureAndFollowsTheLatestDelivery) {
  FlowLogFiles files(options());
  fs::create_directories(account_dir());
  fs::create_symlink("/etc/passwd", account_dir() / "flows.log");
  const uint64_t before = files.status_version();
  files.configure(program_with({log("flows.log")}));
  // Refused before any record: the destination is tried when the flow log arrives.
  EXPECT_EQ(files.deliveries()[0].error,
            "Access error: flows.log: Too many levels of symbolic links");
  EXPECT_EQ(files.deliveries()[0].records_failed, 0u);
  const uint64_t failed = files.status_version();
  EXPECT_NE(failed, before);
  files.configure(program_with({log("flows.log")}));  // the same outcome: no change to report
  EXPECT_EQ(files.status_version(), failed);
  fs::remove(account_dir() / "flows.log");  // the operator removes the link
  const EniFlowRecord records[] = {record(FlowAction::accept, 80)};
  files.deliver(records);
  EXPECT_EQ(files.deliveries()[0].error, "");
  EXPECT_EQ(files.deliveries()[0].records_written, 1u);
  EXPECT_NE(files.status_version(), failed);
}

TEST_F(FlowLogFilesTest, CountersSurviveAProgramThatKeepsTheFlowLog) {
  FlowLogFiles files(options());
  files.configure(program_with({log("flows.log")}));
  const EniFlowRecord records[] = {record(FlowAction::accept, 80)};
  files.deliver(records);
  files.configure(program_with({log("flows.log")}));
  files.deliver(records);
  EXPECT_EQ(files.deliveries()[0].records_written, 2u);
}

// The workers' path: a sink's window goes to the writer thread, which writes it; the worker
// only moves the vector. drain() waits for what was submitted; a full queue refuses a batch
// (WorkerFlowLogSink then counts its records in flow_log_records_dropped).
TEST_F(FlowLogFilesTest, WorkersSubmitWindowsAndTheWriterThreadWritesThem) {
  FlowLogFiles files(options());
  files.configure(program_with({log("flows.log")}));
  FlowLogWriter writer(files);
  std::vector<EniFlowRecord> batch = {record(FlowAction::accept, 80),
                                      record(FlowAction::reject, 22)};
  ASSERT_TRUE(writer.submit(batch));
  EXPECT_TRUE(batch.empty());
  std::vector<EniFlowRecord> second = {record(FlowAction::accept, 443)};
  ASSERT_TRUE(writer.submit(second));
  writer.drain();
  EXPECT_EQ(read("flows.log"),
            std::string(kDefaultHeader) +
                "2 123456789012 eni-0a 10.0.1.5 10.0.2.6 40000 80 6 3 180 1000 1002 ACCEPT OK\n"
                "2 123456789012 eni-0a 10.0.1.5 10.0.2.6 40000 22 6 3 180 1000 1002 REJECT OK\n"
                "2 123456789012 eni-0a 10.0.1.5 10.0.2.6 40000 443 6 3 180 1000 1002 ACCEPT OK\n");
  EXPECT_EQ(files.deliveries()[0].records_written, 3u);
}

TEST_F(FlowLogFilesTest, AFullWriterQueueRefusesTheBatch) {
  FlowLogFiles files(options());
  files.configure(program_with({log("flows.log")}));
  FlowLogWriter writer(files, 0);  // no room at all: every batch refused
  std::vector<EniFlowRecord> batch = {record(FlowAction::accept, 80)};
  EXPECT_FALSE(writer.submit(batch));
  EXPECT_EQ(batch.size(), 1u) << "a refused batch stays with the caller (its sink counts it)";
  writer.drain();
  EXPECT_FALSE(fs::exists(account_dir() / "flows.log"));
}

}  // namespace
}  // namespace openvpc::router
