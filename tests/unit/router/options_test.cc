#include "router/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "router/cpu_affinity.h"

namespace openvpc::router {
namespace {

Result<RouterOptions> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "openvpc-router");
  return parse_options(int(args.size()), args.data());
}

TEST(RouterOptions, ParsesEveryFlag) {
  auto o = parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p.json",
                  "--workers", "3", "--log-level", "debug", "--state-dir", "/tmp/s", "--instance",
                  "101=ns-a", "--instance", "eni-b=ns-b"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->host_id, "h1");
  EXPECT_EQ(o->underlay_address, 0x7f000002u);
  EXPECT_EQ(o->worker_count, 3u);
  EXPECT_EQ(o->log_level, "debug");
  ASSERT_EQ(o->instances.size(), 2u);
  EXPECT_EQ(o->instances[1].eni, "eni-b");
  EXPECT_EQ(o->instances[1].namespace_name, "ns-b");
  EXPECT_EQ(o->mtu, 9001u);
  EXPECT_TRUE(o->tso);  // TSO through the instance TAPs is on by default
}

TEST(RouterOptions, CpusAreCheckedAgainstTheOnesThisProcessMayUse) {
  auto none = parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p"});
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->cpus.empty());  // default: not pinned
  const std::vector<unsigned> allowed = allowed_cpus();
  ASSERT_FALSE(allowed.empty());
  const std::string last = std::to_string(allowed.back());
  const std::string list = last + "," + std::to_string(allowed.front());
  auto given = parse(
      {"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--cpus", list.c_str()});
  ASSERT_TRUE(given.ok()) << given.error().message;
  EXPECT_EQ(given->cpus, (std::vector<unsigned>{allowed.back(), allowed.front()}));
  auto unavailable =
      parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--cpus", "1023"});
  ASSERT_FALSE(unavailable.ok());
  EXPECT_EQ(unavailable.error().code, "options.invalid");
  EXPECT_NE(unavailable.error().message.find("CPU 1023 is not one this process may run on"),
            std::string::npos)
      << unavailable.error().message;
  auto malformed =
      parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--cpus", "0-"});
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, "options.invalid");
}

TEST(RouterOptions, TsoCanBeTurnedOff) {
  auto off =
      parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--tso", "off"});
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_FALSE(off->tso);
  auto bad =
      parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--tso", "maybe"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "options.invalid");
}

TEST(RouterOptions, TapIoDefaultsToAutoAndRefusesOtherWords) {
  auto o = parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->tap_io, RouterOptions::TapIo::automatic);
  for (auto [word, mode] : {std::pair{"io_uring", RouterOptions::TapIo::io_uring},
                            std::pair{"syscalls", RouterOptions::TapIo::syscalls}}) {
    auto given = parse(
        {"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--tap-io", word});
    ASSERT_TRUE(given.ok()) << word;
    EXPECT_EQ(given->tap_io, mode) << word;
  }
  for (const char* bad : {"uring", "", "AUTO"}) {
    auto refused =
        parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--tap-io", bad});
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().code, "options.invalid") << bad;
  }
}

TEST(RouterOptions, UnderlayMtuIsLearnedUnlessGiven) {
  auto learned = parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p"});
  ASSERT_TRUE(learned.ok()) << learned.error().message;
  EXPECT_EQ(learned->underlay_mtu, 0u);  // auto: the interface's, at start
  auto given = parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p",
                      "--underlay-mtu", "1500"});
  ASSERT_TRUE(given.ok()) << given.error().message;
  EXPECT_EQ(given->underlay_mtu, 1500u);
  for (const char* bad : {"1279", "65537", "15x", "", "-1"}) {
    auto refused = parse(
        {"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--underlay-mtu", bad});
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().code, "options.invalid") << bad;
  }
}

TEST(RouterOptions, ControllerInsteadOfProgram) {
  auto o = parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--controller", "127.0.0.1:7000",
                  "--insecure"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->controller_address, "127.0.0.1:7000");
  EXPECT_TRUE(o->program_path.empty());
  EXPECT_TRUE(o->insecure);
}

TEST(RouterOptions, ControllerNeedsTlsFilesOrInsecure) {
  const std::vector<std::vector<const char*>> cases = {
      {"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--controller", "127.0.0.1:7000"},
      {"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--controller", "127.0.0.1:7000",
       "--insecure", "--tls-dir", "/tmp"},
      {"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--controller", "127.0.0.1:7000",
       "--tls-dir", "/nonexistent-openvpc-tls"},
  };
  for (const auto& args : cases) {
    auto o = parse(args);
    ASSERT_FALSE(o.ok()) << args.size();
    EXPECT_EQ(o.error().code, "options.invalid");
    EXPECT_NE(o.error().message.find("--tls-dir"), std::string::npos) << o.error().message;
  }
}

TEST(RouterOptions, EniAllowancesAreUnlimitedUnlessGiven) {
  auto defaults = parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p"});
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->eni_pps_allowance, 0u);
  EXPECT_EQ(defaults->eni_bandwidth_allowance_mbits, 0u);
  auto given = parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p",
                      "--eni-pps-allowance", "2000", "--eni-bandwidth-allowance", "20"});
  ASSERT_TRUE(given.ok()) << given.error().message;
  EXPECT_EQ(given->eni_pps_allowance, 2000u);
  EXPECT_EQ(given->eni_bandwidth_allowance_mbits, 20u);
  using BandwidthQueue = RouterOptions::BandwidthQueue;
  EXPECT_EQ(defaults->eni_bandwidth_queue, BandwidthQueue::fq_codel);
  auto fair = parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p",
                     "--eni-bandwidth-queue", "fair"});
  ASSERT_TRUE(fair.ok()) << fair.error().message;
  EXPECT_EQ(fair->eni_bandwidth_queue, BandwidthQueue::fair);
  auto policer = parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p",
                        "--eni-bandwidth-queue", "none"});
  ASSERT_TRUE(policer.ok()) << policer.error().message;
  EXPECT_EQ(policer->eni_bandwidth_queue, BandwidthQueue::none);
  EXPECT_FALSE(parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p",
                      "--eni-bandwidth-queue", "fifo"})
                   .ok());
  for (const char* bad : {"-1", "100001", "x"}) {
    EXPECT_FALSE(parse({"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p",
                        "--eni-bandwidth-allowance", bad})
                     .ok())
        << bad;
  }
}

TEST(RouterOptions, RefusesBadValues) {
  const std::vector<std::vector<const char*>> cases = {
      {"--host-id", "h1", "--underlay-ip", "::1", "--program", "p"},
      {"--host-id", "h1", "--underlay-ip", "127.0.0.300", "--program", "p"},
      {"--host-id", "h1", "--underlay-ip", "127.0.0.2"},
      {"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--workers", "0"},
      {"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--instance", "101"},
      {"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--log-level", "x"},
      {"--host-id", "h1", "--underlay-ip", "127.0.0.2", "--program", "p", "--controller", "c:1"},
  };
  for (const auto& args : cases) {
    auto o = parse(args);
    ASSERT_FALSE(o.ok()) << args[3];
    EXPECT_EQ(o.error().code, "options.invalid");
  }
  EXPECT_EQ(parse({"--help"}).error().code, "options.help");
}

}  // namespace
}  // namespace openvpc::router
