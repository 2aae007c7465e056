// cpu_affinity.h — which CPUs the router's workers run on (--cpus), as VPP's corelist-workers
// or Open vSwitch's pmd-cpu-mask pin their packet threads: a worker that stays on one CPU keeps
// its flow cache and connection table warm there, and is not migrated behind other work.
//
// A CPU list is what `taskset -c` and the kernel's cpulist files take: comma-separated CPU
// numbers and inclusive ranges, "0-3,6". Worker i runs on the list's (i mod size)-th CPU.
// Every CPU must be one this process may run on (sched_getaffinity: a cgroup or taskset may
// have narrowed it).
#pragma once

#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"

namespace openvpc::router {

// Errors: "options.invalid" naming the bad part. CPUs in the order given, duplicates kept
// (two workers may share a CPU); CPU numbers below kMaxCpus, at most kMaxCpus entries.
Result<std::vector<unsigned>> parse_cpu_list(std::string_view text);
// The CPUs this process may run on, ascending.
std::vector<unsigned> allowed_cpus();
// "0-1,4", the kernel's cpulist form of an ascending list.
std::string format_cpu_list(const std::vector<unsigned>& cpus);
// Pins `thread` to `cpu`; errors: "router.affinity" with the system's reason.
Result<void> pin_thread(std::thread& thread, unsigned cpu);

inline constexpr unsigned kMaxCpus = 1024;  // glibc's CPU_SETSIZE

}  // namespace openvpc::router
