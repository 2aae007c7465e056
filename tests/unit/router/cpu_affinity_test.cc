#include "router/cpu_affinity.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <thread>
#include <vector>

namespace openvpc::router {
namespace {

using Cpus = std::vector<unsigned>;

TEST(CpuAffinity, ParsesNumbersAndRangesInTheOrderGiven) {
  EXPECT_EQ(*parse_cpu_list("0"), (Cpus{0}));
  EXPECT_EQ(*parse_cpu_list("0-3,6"), (Cpus{0, 1, 2, 3, 6}));
  EXPECT_EQ(*parse_cpu_list("5,1,1"), (Cpus{5, 1, 1}));  // order kept; a shared CPU is allowed
  EXPECT_EQ(*parse_cpu_list("2-2"), (Cpus{2}));
  EXPECT_EQ(parse_cpu_list("1023")->size(), 1u);
}

TEST(CpuAffinity, RefusesWhatIsNotACpuList) {
  for (const char* bad : {"", ",", "1,", ",1", "a", "-1", "1-", "-", "3-1", "1 ,2", "0x1", "1024",
                          "0-1024", "1.5", "99999999999"}) {
    auto list = parse_cpu_list(bad);
    ASSERT_FALSE(list.ok()) << bad;
    EXPECT_EQ(list.error().code, "options.invalid") << bad;
  }
  std::string many;  // more entries than any machine has CPUs: refused, not a huge vector
  for (int i = 0; i < 3; ++i) many += (i ? "," : "") + std::string("0-1023");
  EXPECT_FALSE(parse_cpu_list(many).ok());
}

TEST(CpuAffinity, FormatsAscendingListsAsTheKernelDoes) {
  EXPECT_EQ(format_cpu_list({}), "");
  EXPECT_EQ(format_cpu_list({0}), "0");
  EXPECT_EQ(format_cpu_list({0, 1, 2, 4, 6, 7}), "0-2,4,6-7");
  EXPECT_EQ(*parse_cpu_list(format_cpu_list({0, 1, 2, 4, 6, 7})), (Cpus{0, 1, 2, 4, 6, 7}));
}

TEST(CpuAffinity, PinsAThreadToOneOfTheAllowedCpus) {
  const Cpus allowed = allowed_cpus();
  ASSERT_FALSE(allowed.empty());
  const unsigned cpu = allowed.back();
  std::atomic<bool> pinned{false};
  std::atomic<int> seen{-1};
  std::thread thread([&] {
    while (!pinned.load()) std::this_thread::yield();
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1 &&
        CPU_ISSET(cpu, &set)) {
      seen = int(cpu);
    }
  });
  auto result = pin_thread(thread, cpu);
  pinned = true;
  thread.join();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(seen.load(), int(cpu));
}

}  // namespace
}  // namespace openvpc::router
