// fuzz_program_json — libFuzzer target for a Program as JSON (program/program_json.h): what
// `openvpc-router --program FILE` and openvpc-dataplane-trace load, then compile for the data
// plane. A hand-edited or truncated file must give a "program.json" error or a compile error,
// never a crash or an exception.
//
// Invariants: no crash, no sanitizer report, no exception; to_json is a fixed point
// (from_json(to_json(p)) succeeds and prints the same JSON); a loaded program compiles or is
// refused with an error (dataplane::compile).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dataplane/compiled_program.h"
#include "program/program_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace openvpc;
  auto program =
      program::program_from_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!program.ok()) return 0;
  const std::string normalised = program::program_to_json(*program);
  auto again = program::program_from_json(normalised);
  if (!again.ok() || program::program_to_json(*again) != normalised) std::abort();
  (void)dataplane::compile(*program);
  return 0;
}
