#include "router/counters_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace openvpc::router {
namespace {

TEST(CountersFile, SumsWorkersPerEniAndNamesDropReasons) {
  RouterStatus status;
  status.host_id = "h1";
  status.generation = 4;
  status.ports.push_back({101, "eni-a", "ovpc-101", {}, "ns-a"});
  std::vector<WorkerSnapshot> workers(2);
  workers[0].enis[101].rx_packets = 3;
  workers[1].enis[101].rx_packets = 4;
  workers[1].enis[101].drops[size_t(dataplane::DropReason::security_group_ingress_denied)] = 2;
  workers[0].router.tap_send_failed = 1;
  workers[1].underlay_receive.received = 9;
  const std::string text = counters_json(status, workers);
  EXPECT_NE(text.find("\"rx_packets\": 7"), std::string::npos) << text;
  EXPECT_NE(text.find("\"security_group_ingress_denied\": 2"), std::string::npos) << text;
  EXPECT_NE(text.find("\"tap_send_failed\": 1"), std::string::npos);
  EXPECT_NE(text.find("\"received\": 9"), std::string::npos);
  EXPECT_NE(text.find("\"namespace\": \"ns-a\""), std::string::npos);
  EXPECT_NE(text.find("\"generation\": 4"), std::string::npos);
}

TEST(CountersFile, WritesAtomically) {
  const std::string path = ::testing::TempDir() + "counters-" + std::to_string(::getpid());
  ASSERT_TRUE(write_file_atomically(path, "{}\n").ok());
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  EXPECT_EQ(text.str(), "{}\n");
  EXPECT_FALSE(std::ifstream(path + ".tmp").good());
  std::remove(path.c_str());
  EXPECT_FALSE(write_file_atomically("/nonexistent-dir/x", "{}").ok());
}

}  // namespace
}  // namespace openvpc::router
