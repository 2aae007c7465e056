#include "router/cpu_affinity.h"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace openvpc::router {
namespace {

bool parse_number(std::string_view text, unsigned& out) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && out < kMaxCpus;
}

}  // namespace

Result<std::vector<unsigned>> parse_cpu_list(std::string_view text) {
  std::vector<unsigned> cpus;
  auto bad = [&](std::string_view part) {
    return make_error("options.invalid", "--cpus: '" + std::string(part) +
                                             "' is not a CPU number or range (a list like 0-3,6)");
  };
  if (text.empty()) return bad(text);
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    const size_t dash = part.find('-');
    unsigned first = 0, last = 0;
    if (dash == std::string_view::npos) {
      if (!parse_number(part, first)) return bad(part);
      last = first;
    } else if (!parse_number(part.substr(0, dash), first) ||
               !parse_number(part.substr(dash + 1), last) || last < first) {
      return bad(part);
    }
    for (unsigned cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
    if (cpus.size() > kMaxCpus) return bad(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return cpus;
}

std::vector<unsigned> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<unsigned> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

std::string format_cpu_list(const std::vector<unsigned>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

Result<void> pin_thread(std::thread& thread, unsigned cpu) {
  if (cpu >= CPU_SETSIZE) return make_error("router.affinity", "CPU number out of range");
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  const int error = pthread_setaffinity_np(thread.native_handle(), sizeof set, &set);
  if (error != 0) {
    return make_error("router.affinity", "pinning a worker to CPU " + std::to_string(cpu) + ": " +
                                             std::strerror(error));
  }
  return {};
}

}  // namespace openvpc::router
