#include "router/counters_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "prometheus_parser.h"
#include "router/metrics_text.h"

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

// counters.json and /metrics are two views of one list: every scalar counter /metrics exports
// for the pipeline, the underlay and the router's own losses is in counters.json under the
// same name (they had drifted: counters.json had no flow_stale nor flow_evictions).
TEST(CountersFile, NamesEveryCounterMetricsExports) {
  RouterStatus status;
  std::vector<WorkerSnapshot> workers(1);
  workers[0].pipeline.flow_stale = 5;
  workers[0].pipeline.flow_evictions = 6;
  const auto document = nlohmann::json::parse(counters_json(status, workers));
  const RouterMetricsInput input{&status, workers, {}, 0};
  const auto metrics = testing::parse_prometheus(router_metrics_text(input));
  ASSERT_TRUE(metrics.error.empty()) << metrics.error;
  size_t checked = 0;
  for (const char* section : {"pipeline", "underlay", "router"}) {
    const std::string prefix = std::string("openvpc_") + section + "_";
    for (const auto& [name, value] : metrics.samples) {  // unlabelled series only
      if (name.rfind(prefix, 0) != 0 || name.find('{') != std::string::npos ||
          !name.ends_with("_total")) {
        continue;
      }
      const std::string field = name.substr(prefix.size(), name.size() - prefix.size() - 6);
      if (field.starts_with("programs_")) continue;  // "program" in counters.json
      EXPECT_TRUE(document[section].contains(field)) << section << "." << field;
      ++checked;
    }
  }
  EXPECT_GE(checked, 25u);
  EXPECT_EQ(document["pipeline"]["flow_stale"], 5);
  EXPECT_EQ(document["pipeline"]["flow_evictions"], 6);
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
