// program_publisher.h — hands compiled programs from the router thread to the workers.
//
// The router thread compiles a program (dataplane::compile) and publish()es it; each worker's
// Pipeline compares version() before every batch and takes the new program only when it moved
// (published.h: no lock on the fast path, a whole batch under one program, an old program
// freed when the last worker has moved past it).
#pragma once

#include "dataplane/compiled_program.h"
#include "dataplane/published.h"

namespace openvpc::dataplane {

using ProgramPublisher = Published<CompiledProgram>;

}  // namespace openvpc::dataplane
