// fuzz_mapping_update — libFuzzer target for what a router does with a ProgramUpdate from the
// mapping service (mapping/mapping_client.cc): a snapshot is decoded, a delta is applied to the
// program the router runs (the data-plane fuzz program, encoded) and decoded, and a decoded
// program is compiled for the data plane (router/program_loader.cc). The controller is
// authenticated, but a bug there, a version skew or a corrupted stream must cost the router a
// refused update, never its process.
//
// Invariants: no crash, no sanitizer report, no exception; a program that decodes survives an
// encode/decode round trip unchanged (as JSON: program_to_json is the normalised form); the
// program-level apply() agrees with the wire-level apply() followed by decode().
//
// Seeds: FUZZ_MAPPING_UPDATE_SEEDS=DIR makes the target write a snapshot and a delta update of
// the fuzz program into DIR and exit (how tests/fuzz/seeds/fuzz_mapping_update/ was made).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "dataplane/compiled_program.h"
#include "fuzz_program.h"
#include "fuzz_protobuf_setup.h"
#include "mapping.pb.h"
#include "mapping/program_codec.h"
#include "mapping/program_delta.h"
#include "program/program_json.h"

namespace {

using namespace openvpc;

const mapping::wire::Program& base() {
  static const mapping::wire::Program encoded = mapping::encode(fuzzing::fuzz_program());
  return encoded;
}

void write_seeds(const std::string& dir) {
  mapping::wire::ProgramUpdate snapshot;
  snapshot.set_epoch(1);
  snapshot.set_version(1);
  *snapshot.mutable_snapshot() = base();
  program::Program changed = fuzzing::fuzz_program();
  changed.generation = 2;
  changed.security_groups[0].rules.pop_back();
  changed.mappings.pop_back();
  changed.enis[1].source_dest_check = true;
  mapping::wire::ProgramUpdate delta;
  delta.set_epoch(1);
  delta.set_version(2);
  *delta.mutable_delta() = mapping::diff(fuzzing::fuzz_program(), changed);
  std::ofstream(dir + "/snapshot", std::ios::binary) << snapshot.SerializeAsString();
  std::ofstream(dir + "/delta", std::ios::binary) << delta.SerializeAsString();
}

// What the router would run: compile it, as program_loader does (errors are refusals).
void run(const program::Program& program) {
  (void)dataplane::compile(program);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  return fuzzing::set_up_protobuf_target("FUZZ_MAPPING_UPDATE_SEEDS", write_seeds);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mapping::wire::ProgramUpdate update;
  if (!update.ParseFromArray(data, int(size))) return 0;
  mapping::wire::Program next;
  if (update.has_snapshot()) {
    next = update.snapshot();
  } else if (update.has_delta()) {
    next = mapping::apply(base(), update.delta());
    // The program-level apply must agree with the wire-level one.
    auto direct = mapping::apply(fuzzing::fuzz_program(), update.delta());
    auto decoded = mapping::decode(next);
    if (direct.ok() != decoded.ok()) std::abort();
    if (direct.ok() && program::program_to_json(*direct) != program::program_to_json(*decoded)) {
      std::abort();
    }
  } else {
    return 0;
  }
  auto program = mapping::decode(next);
  if (!program.ok()) return 0;
  auto again = mapping::decode(mapping::encode(*program));
  if (!again.ok() || program::program_to_json(*again) != program::program_to_json(*program)) {
    std::abort();
  }
  run(*program);
  return 0;
}
