#include "router/metrics_text.h"

#include <gtest/gtest.h>

#include "prometheus_parser.h"

namespace openvpc::router {
namespace {

using testing::parse_prometheus;

RouterStatus two_enis() {
  RouterStatus status;
  status.host_id = "h1";
  status.underlay_address = "127.0.3.2";
  status.generation = 7;
  status.programs_applied = 3;
  status.programs_refused = 1;
  status.ports.push_back({101, "eni-0a", "ovpc-101", {}, "i-1"});
  status.ports.push_back({102, "", "ovpc-102", {}, ""});  // no name: labelled by number
  return status;
}

TEST(MetricsText, ParsesStrictlyAndSumsWorkers) {
  const RouterStatus status = two_enis();
  std::vector<WorkerSnapshot> workers(2);
  workers[0].enis[101].rx_packets = 3;
  workers[1].enis[101].rx_packets = 4;
  workers[0].enis[101].tx_bytes = 1500;
  workers[1].enis[101].drops[size_t(dataplane::DropReason::security_group_ingress_denied)] = 2;
  workers[0].enis[101].drops[size_t(dataplane::DropReason::pps_allowance_exceeded)] = 6;
  workers[1].enis[101].drops[size_t(dataplane::DropReason::pps_allowance_exceeded)] = 1;
  workers[1].enis[101].drops[size_t(dataplane::DropReason::bw_in_allowance_exceeded)] = 8;
  workers[0].pipeline.drops[size_t(dataplane::DropReason::no_route)] = 5;
  workers[0].router.tap_send_failed = 1;
  workers[1].router.tap_send_failed = 2;
  workers[1].underlay_receive.received = 9;
  workers[0].connections[101] = {10, 990, 4};
  workers[1].connections[101] = {20, 980, 1};
  workers[0].bandwidth_queued[101] = 5;
  workers[1].bandwidth_queued[101] = 2;
  RouterMetricsInput input{&status, workers, {12, 3, 1}, 1000};
  const auto page = parse_prometheus(router_metrics_text(input));
  ASSERT_EQ(page.error, "") << router_metrics_text(input);
  EXPECT_EQ(page.at(R"(openvpc_eni_rx_packets_total{eni="eni-0a"})"), 7);
  EXPECT_EQ(page.at(R"(openvpc_eni_tx_bytes_total{eni="eni-0a"})"), 1500);
  EXPECT_EQ(page.at(R"(openvpc_eni_rx_packets_total{eni="102"})"), 0);
  EXPECT_EQ(
      page.at(R"(openvpc_eni_drops_total{eni="eni-0a",reason="security_group_ingress_denied"})"),
      2);
  EXPECT_EQ(page.at(R"(openvpc_pipeline_drops_total{reason="no_route"})"), 5);
  EXPECT_EQ(page.at(R"(openvpc_pipeline_drops_total{reason="nacl_egress_denied"})"), 0);
  EXPECT_EQ(page.at("openvpc_router_tap_send_failed_total"), 3);
  EXPECT_EQ(page.at("openvpc_underlay_received_total"), 9);
  EXPECT_EQ(page.at(R"(openvpc_eni_tracked_connections{eni="eni-0a"})"), 30);
  EXPECT_EQ(page.at(R"(openvpc_eni_conntrack_allowance_available{eni="eni-0a"})"), 980);
  EXPECT_EQ(page.at(R"(openvpc_eni_conntrack_allowance_exceeded_total{eni="eni-0a"})"), 5);
  EXPECT_EQ(page.at(R"(openvpc_eni_conntrack_allowance_available{eni="102"})"), 1000);
  // ENA's allowance counters: per ENI, summed over the workers, every ENI with each.
  EXPECT_EQ(page.at(R"(openvpc_eni_pps_allowance_exceeded_total{eni="eni-0a"})"), 7);
  EXPECT_EQ(page.at(R"(openvpc_eni_bw_in_allowance_exceeded_total{eni="eni-0a"})"), 8);
  EXPECT_EQ(page.at(R"(openvpc_eni_bw_out_allowance_exceeded_total{eni="eni-0a"})"), 0);
  EXPECT_EQ(page.at(R"(openvpc_eni_linklocal_allowance_exceeded_total{eni="102"})"), 0);
  EXPECT_EQ(page.types.at("openvpc_eni_pps_allowance_exceeded_total"), "counter");
  // The fair queue's backlog: a gauge, summed over the workers, 0 for an ENI with none.
  EXPECT_EQ(page.at(R"(openvpc_eni_bandwidth_queue_packets{eni="eni-0a"})"), 7);
  EXPECT_EQ(page.at(R"(openvpc_eni_bandwidth_queue_packets{eni="102"})"), 0);
  EXPECT_EQ(page.types.at("openvpc_eni_bandwidth_queue_packets"), "gauge");
  EXPECT_EQ(page.at("openvpc_router_program_generation"), 7);
  EXPECT_EQ(page.at("openvpc_router_programs_refused_total"), 1);
  EXPECT_EQ(page.at("openvpc_capture_dropped_total"), 3);
  EXPECT_EQ(page.at(R"(openvpc_router_info{host_id="h1",underlay="127.0.3.2"})"), 1);
  EXPECT_EQ(page.types.at("openvpc_eni_tracked_connections"), "gauge");
  EXPECT_EQ(page.types.at("openvpc_eni_rx_bytes_total"), "counter");
}

TEST(MetricsText, EscapesLabelValuesAndStaysValidWithoutWorkersOrEnis) {
  RouterStatus status;
  status.host_id = "odd \"host\"\\\n";
  RouterMetricsInput input{&status, {}, {}, 0};
  const std::string text = router_metrics_text(input);
  const auto page = parse_prometheus(text);
  ASSERT_EQ(page.error, "") << text;
  EXPECT_NE(text.find(R"(host_id="odd \"host\"\\\n")"), std::string::npos) << text;
  EXPECT_EQ(page.at("openvpc_router_workers"), 0);
}

// The parser the tests rely on must refuse what Prometheus refuses.
TEST(PrometheusParser, RefusesMalformedPages) {
  const struct {
    const char* description;
    const char* page;
  } cases[] = {
      {"sample without TYPE", "a_total 1\n"},
      {"counter not _total", "# TYPE a counter\na 1\n"},
      {"negative counter", "# TYPE a_total counter\na_total -1\n"},
      {"duplicate series", "# TYPE g gauge\ng{x=\"1\"} 1\ng{x=\"1\"} 2\n"},
      {"bad escape", "# TYPE g gauge\ng{x=\"\\t\"} 1\n"},
      {"bad label name", "# TYPE g gauge\ng{1x=\"a\"} 1\n"},
      {"unterminated value", "# TYPE g gauge\ng{x=\"a} 1\n"},
      {"TYPE after samples", "# TYPE g gauge\ng 1\n# TYPE g gauge\n"},
      {"not contiguous", "# TYPE g gauge\n# TYPE h gauge\ng 1\nh 1\ng{a=\"b\"} 2\n"},
      {"bad value", "# TYPE g gauge\ng one\n"},
      {"no newline at end", "# TYPE g gauge\ng 1"},
      {"histogram not cumulative",
       "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n"},
      {"histogram without +Inf", "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_count 2\n"},
  };
  for (const auto& c : cases) {
    EXPECT_NE(parse_prometheus(c.page).error, "") << c.description;
  }
  EXPECT_EQ(parse_prometheus("# HELP g a \\\\ b\n# TYPE g gauge\ng{x=\"\\\"\"} +Inf\n").error, "");
}

}  // namespace
}  // namespace openvpc::router
