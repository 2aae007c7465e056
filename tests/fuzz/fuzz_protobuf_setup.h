// fuzz_protobuf_setup.h — LLVMFuzzerInitialize for the targets whose input is protobuf.
//
// Inputs with invalid UTF-8 in string fields fail to parse, as they should; protobuf would also
// log a line for each, so its log is silenced. When the environment variable `seeds_variable`
// names a folder, write_seeds(folder) writes the target's seed inputs there and the process
// exits (how tests/fuzz/seeds/<target>/ was made).
#pragma once

#include <cstdlib>
#include <string>

#include <google/protobuf/stubs/logging.h>

namespace openvpc::fuzzing {

inline int set_up_protobuf_target(const char* seeds_variable,
                                  void (*write_seeds)(const std::string& folder)) {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  if (const char* folder = std::getenv(seeds_variable)) {
    write_seeds(folder);
    std::exit(0);
  }
  return 0;
}

}  // namespace openvpc::fuzzing
