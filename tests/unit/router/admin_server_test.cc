#include "router/admin_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <deque>

#include "prometheus_parser.h"
#include "router/options.h"
#include "router/router.h"
#include "test_programs.h"

namespace openvpc::router {
namespace {

class OneProgram final : public ProgramSource {
 public:
  explicit OneProgram(program::Program p) : program_(std::move(p)) {}
  bool changed() override { return false; }
  Result<program::Program> fetch() override { return program_; }
  std::string describe() const override { return "test"; }

 private:
  program::Program program_;
};

TEST(AdminOptions, DefaultsToTheUnderlayAndCanBeMovedOrTurnedOff) {
  const char* base[] = {"openvpc-router", "--host-id", "h1",    "--underlay-ip",
                        "127.0.3.2",      "--program", "p.json"};
  auto defaults = parse_options(7, base);
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->admin_address, "127.0.3.2");
  EXPECT_EQ(defaults->admin_port, kDefaultAdminPort);
  EXPECT_FALSE(defaults->admin_given);
  const struct {
    const char* value;
    bool ok;
    const char* address;
    uint16_t port;
  } cases[] = {{"127.0.0.1:0", true, "127.0.0.1", 0}, {"off", true, "", kDefaultAdminPort},
               {"0.0.0.0:9999", false, "", 0},  // off loopback: HTTPS, needs --tls-dir
               {"127.0.0.1", false, "", 0},           {"127.0.0.1:99999", false, "", 0},
               {"localhost:80", false, "", 0},        {":80", false, "", 0}};
  for (const auto& c : cases) {
    const char* argv[] = {base[0], base[1], base[2],   base[3], base[4],
                          base[5], base[6], "--admin", c.value};
    auto options = parse_options(9, argv);
    ASSERT_EQ(options.ok(), c.ok) << c.value;
    if (!c.ok) continue;
    EXPECT_EQ(options->admin_address, c.address) << c.value;
    EXPECT_EQ(options->admin_port, c.port) << c.value;
    EXPECT_TRUE(options->admin_given);
    EXPECT_FALSE(options->admin_https);
  }
}

TEST(AdminOptions, OffLoopbackItIsHttpsAndNeedsTlsAndTheDefaultStaysLocal) {
  const char* remote[] = {"openvpc-router", "--host-id", "h1",    "--underlay-ip",
                          "192.0.2.7",      "--program", "p.json"};
  auto defaults = parse_options(7, remote);
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->admin_address, "127.0.0.1");
  EXPECT_FALSE(defaults->admin_https);
  const char* exposed[] = {remote[0], remote[1], remote[2], remote[3],       remote[4],
                           remote[5], remote[6], "--admin", "192.0.2.7:9180"};
  auto refused = parse_options(9, exposed);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("--tls-dir"), std::string::npos);
  const char* with_tls[] = {remote[0],        remote[1],   remote[2],         remote[3],
                            remote[4],        remote[5],   remote[6],         "--admin",
                            "192.0.2.7:9180", "--tls-dir", "/etc/openvpc/tls"};
  auto https = parse_options(11, with_tls);
  ASSERT_TRUE(https.ok()) << https.error().message;
  EXPECT_TRUE(https->admin_https);
  const char* forced[] = {remote[0], remote[1], remote[2], remote[3],     remote[4],
                          remote[5], remote[6], "--admin", "127.0.0.1:0", "--admin-tls"};
  EXPECT_FALSE(parse_options(10, forced).ok());  // --admin-tls without --tls-dir
}

// A real router (no ENIs: no TAPs) with its admin endpoint on a free loopback port.
TEST(AdminServer, ServesMetricsTraceErrorsAndRefusesUnknownCaptures) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for the raw underlay socket";
  RouterOptions options;
  options.host_id = "unit-admin";
  options.underlay_address = 0x7f000000u | (uint32_t(::getpid()) & 0xffff) << 8 | 0x12;
  auto router = Router::create(options, std::make_unique<OneProgram>(testing::small_program(
                                            options.underlay_address, false, 3)));
  ASSERT_TRUE(router.ok()) << router.error().message;
  auto admin = AdminServer::start(**router, "127.0.0.1", 0);
  ASSERT_TRUE(admin.ok()) << admin.error().message;
  httplib::Client client("127.0.0.1", (*admin)->port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto page = openvpc::testing::parse_prometheus(metrics->body);
  EXPECT_EQ(page.error, "") << metrics->body;
  EXPECT_EQ(page.at("openvpc_router_program_generation"), 3);
  EXPECT_EQ(page.at("openvpc_router_workers"), 1);

  auto unknown =
      client.Post("/trace", R"({"eni":"eni-nope","dst":"10.0.1.9"})", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_NE(unknown->body.find("not on this host"), std::string::npos);
  auto malformed = client.Post("/trace", "{", "application/json");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  auto capture = client.Get("/capture?eni=eni-nope&seconds=1");
  ASSERT_TRUE(capture);
  EXPECT_EQ(capture->status, 404);
  auto bad_seconds = client.Get("/capture?eni=1&seconds=0");
  ASSERT_TRUE(bad_seconds);
  EXPECT_EQ(bad_seconds->status, 400);

  (*admin)->stop();
  (*router)->shutdown();
}

}  // namespace
}  // namespace openvpc::router
