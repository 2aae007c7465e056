// program_delta.h — the difference between two programs, and applying it.
//
// diff(from, to) lists, per kind, every object of `to` that is new or differs from the object
// with the same key in `from` (compared by its encoded bytes, so a field added to the wire form
// is compared without touching this file), every key of `from` missing in `to`, and the header
// fields (generation, host underlay, router MAC) that changed. Keys: `id` for every kind, (vpc,
// address) for mappings. The property the tests check: apply(a, diff(a, b)) == b, as
// program::to_text prints them. Both functions assume unique keys within a kind (program.h's
// invariant); with duplicates the last object of a key wins.
//
// apply() never fails on the wire form: an upsert of an unknown key adds it, a removal of an
// unknown key is ignored. Objects keep their order in `from`; added ones follow in delta order.
// is_empty(diff(a, b)) holds exactly when a and b encode to the same bytes.
#pragma once

#include "common/result.h"
#include "mapping.pb.h"
#include "program/program.h"

namespace openvpc::mapping {

wire::ProgramDelta diff(const wire::Program& from, const wire::Program& to);
wire::Program apply(const wire::Program& from, const wire::ProgramDelta& delta);

wire::ProgramDelta diff(const program::Program& from, const program::Program& to);
// Fails only when the result does not decode (a malformed object in the delta).
Result<program::Program> apply(const program::Program& from, const wire::ProgramDelta& delta);

bool is_empty(const wire::ProgramDelta& delta);

}  // namespace openvpc::mapping
