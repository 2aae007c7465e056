#include "controller/metrics.h"

#include <gtest/gtest.h>

#include <thread>

#include "router/prometheus_parser.h"

namespace openvpc::controller {
namespace {

using openvpc::testing::parse_prometheus;

TEST(ApiMetrics, CountsRequestsAndHistogramsAndParsesStrictly) {
  ApiMetrics metrics;
  metrics.record("CreateVpc", 200, 0.0007);
  metrics.record("CreateVpc", 200, 0.3);
  metrics.record("CreateVpc", 400, 0.002);
  metrics.record("admin/hosts", 200, 10.0);  // past the last bucket: only +Inf
  std::vector<mapping::HostStatus> hosts = {{"h1", 4, 4, true, 0, ""},
                                            {"h\"2", 2, 1, false, 0, ""}};
  const std::string text = metrics.text(hosts, {{"vpcs", 3}});
  const auto page = parse_prometheus(text);
  ASSERT_EQ(page.error, "") << text;
  EXPECT_EQ(page.at(R"(openvpc_controller_api_requests_total{action="CreateVpc",code="200"})"), 2);
  EXPECT_EQ(page.at(R"(openvpc_controller_api_requests_total{action="CreateVpc",code="400"})"), 1);
  const std::string bucket = "openvpc_controller_api_request_duration_seconds_bucket";
  EXPECT_EQ(page.at(bucket + R"({action="CreateVpc",le="0.001"})"), 1);
  EXPECT_EQ(page.at(bucket + R"({action="CreateVpc",le="0.0025"})"), 2);
  EXPECT_EQ(page.at(bucket + R"({action="CreateVpc",le="+Inf"})"), 3);
  EXPECT_EQ(page.at(bucket + R"({action="admin/hosts",le="2.5"})"), 0);
  EXPECT_EQ(page.at(bucket + R"({action="admin/hosts",le="+Inf"})"), 1);
  EXPECT_NEAR(page.at(R"(openvpc_controller_api_request_duration_seconds_sum{action="CreateVpc"})"),
              0.3027, 1e-9);
  EXPECT_EQ(page.at(R"(openvpc_host_connected{host_id="h1"})"), 1);
  EXPECT_EQ(page.at(R"(openvpc_host_connected{host_id="h\"2"})"), 0);
  EXPECT_EQ(page.at(R"(openvpc_host_acked_program_version{host_id="h\"2"})"), 1);
  EXPECT_EQ(page.at(R"(openvpc_controller_resources{kind="vpcs"})"), 3);
  EXPECT_EQ(page.at("openvpc_controller_hosts"), 2);
  EXPECT_EQ(page.types.at("openvpc_controller_api_request_duration_seconds"), "histogram");
}

// Each NAT gateway's metrics are the sums of what its hyperplane nodes reported in their Acks.
TEST(ApiMetrics, NatGatewayMetricsAreSummedOverNodes) {
  ApiMetrics metrics;
  mapping::HostStatus hp1{"hp1", 1, 1, true, 0, ""};
  hp1.resource_metrics = {{"nat-0a", {{"ActiveConnectionCount", 3}, {"ErrorPortAllocation", 1}}},
                          {"nat-0b", {{"PacketsDropCount", 7}}}};
  mapping::HostStatus hp2{"hp2", 1, 1, true, 0, ""};
  hp2.resource_metrics = {{"nat-0a", {{"ActiveConnectionCount", 4}, {"NotAMetric", 9}}}};
  const std::string text = metrics.text({hp1, hp2}, {});
  const auto page = parse_prometheus(text);
  ASSERT_EQ(page.error, "") << text;
  EXPECT_EQ(page.at(R"(openvpc_nat_gateway_active_connection_count{nat_gateway_id="nat-0a"})"), 7);
  EXPECT_EQ(page.at(R"(openvpc_nat_gateway_error_port_allocation_total{nat_gateway_id="nat-0a"})"),
            1);
  EXPECT_EQ(page.at(R"(openvpc_nat_gateway_packets_drop_count_total{nat_gateway_id="nat-0b"})"), 7);
  EXPECT_EQ(page.at(R"(openvpc_nat_gateway_packets_drop_count_total{nat_gateway_id="nat-0a"})"), 0);
  EXPECT_EQ(page.types.at("openvpc_nat_gateway_active_connection_count"), "gauge");
  EXPECT_EQ(page.types.at("openvpc_nat_gateway_bytes_out_to_destination_total"), "counter");
  EXPECT_EQ(text.find("NotAMetric"), std::string::npos);
}

TEST(ApiMetrics, MappingRefusalsByReasonOneSampleEach) {
  ApiMetrics metrics;
  mapping::MappingRefusalCounts refusals{};
  refusals[size_t(mapping::MappingRefusal::host_mismatch)] = 2;
  const std::string text = metrics.text({}, {}, {}, refusals);
  const auto page = parse_prometheus(text);
  ASSERT_EQ(page.error, "") << text;
  const std::string name = "openvpc_controller_mapping_refused_total";
  EXPECT_EQ(page.types.at(name), "counter");
  EXPECT_EQ(page.at(name + R"({reason="host_mismatch"})"), 2);
  EXPECT_EQ(page.at(name + R"({reason="role_mismatch"})"), 0);
  EXPECT_EQ(page.at(name + R"({reason="no_identity"})"), 0);
}

TEST(ApiMetrics, EmptyPageIsValidAndConcurrentRecordsAllCount) {
  ApiMetrics metrics;
  EXPECT_EQ(parse_prometheus(metrics.text({}, {})).error, "");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) metrics.record("DescribeVpcs", 200, 0.001);
    });
  }
  for (auto& t : threads) t.join();
  const auto page = parse_prometheus(metrics.text({}, {}));
  EXPECT_EQ(page.at(R"(openvpc_controller_api_requests_total{action="DescribeVpcs",code="200"})"),
            4000);
}

// A load balancer's flows and bytes add up over its nodes; host counts are the largest any
// node reports (every node checks every target).
TEST(ApiMetrics, LoadBalancerMetricsCombineOverNodes) {
  ApiMetrics metrics;
  const std::string lb = "net/front/0123456789abcdef";
  mapping::HostStatus hp1{"hp1", 1, 1, true, 0, ""};
  hp1.resource_metrics = {{lb,
                           {{"ActiveFlowCount", 3},
                            {"NewFlowCount", 10},
                            {"HealthyHostCount", 2},
                            {"UnHealthyHostCount", 1},
                            {"TCP_Target_Reset_Count", 4}}},
                          {"arn:tg", {{"target 10.0.1.5:80", 1}}}};
  mapping::HostStatus hp2{"hp2", 1, 1, true, 0, ""};
  hp2.resource_metrics = {
      {lb, {{"ActiveFlowCount", 5}, {"ProcessedBytes", 900}, {"HealthyHostCount", 3}}}};
  const std::string text = metrics.text({hp1, hp2}, {});
  const auto page = parse_prometheus(text);
  ASSERT_EQ(page.error, "") << text;
  const std::string label = R"({load_balancer="net/front/0123456789abcdef"})";
  EXPECT_EQ(page.at("openvpc_load_balancer_active_flow_count" + label), 8);
  EXPECT_EQ(page.at("openvpc_load_balancer_new_flow_count_total" + label), 10);
  EXPECT_EQ(page.at("openvpc_load_balancer_processed_bytes_total" + label), 900);
  EXPECT_EQ(page.at("openvpc_load_balancer_healthy_host_count" + label), 3);
  EXPECT_EQ(page.at("openvpc_load_balancer_unhealthy_host_count" + label), 1);
  EXPECT_EQ(page.at("openvpc_load_balancer_tcp_client_reset_count_total" + label), 0);
  EXPECT_EQ(page.at("openvpc_load_balancer_tcp_target_reset_count_total" + label), 4);
  EXPECT_EQ(page.types.at("openvpc_load_balancer_active_flow_count"), "gauge");
  EXPECT_EQ(page.types.at("openvpc_load_balancer_processed_bytes_total"), "counter");
  EXPECT_EQ(text.find("arn:tg"), std::string::npos);  // health reports are no metric
}

}  // namespace
}  // namespace openvpc::controller
