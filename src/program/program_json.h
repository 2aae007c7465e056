// program_json.h — a Program as JSON, for tools (openvpc-dataplane-trace) and test fixtures.
//
// The JSON mirrors the structs field by field (same names); addresses, CIDRs and MACs are
// strings, enums are their to_string() names, a port range is [first, last]. Absent fields
// take the struct defaults. from_json validates types and address syntax only (references are
// checked by dataplane::compile) and never throws: errors come back as "program.json".
// to_json(from_json(x)) is the normalised form of x.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "program/program.h"

namespace openvpc::program {

Result<Program> program_from_json(std::string_view text);
std::string program_to_json(const Program& program);

}  // namespace openvpc::program
