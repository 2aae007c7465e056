// program_compiler_flow_logs.h — flow logs in a host's compiled program (program_compiler.h;
// program/program.h's FlowLog): each flow log whose resource (VPC, subnet or interface) covers
// an interface on the host, with those interfaces' numbers sorted; a flow log covering none of
// them is left out. Appends to `out`.
#pragma once

#include <string_view>

#include "model/region.h"
#include "program/program.h"

namespace openvpc::model {

void add_host_flow_logs(const Region& region, std::string_view host_id, program::Program& out);

}  // namespace openvpc::model
