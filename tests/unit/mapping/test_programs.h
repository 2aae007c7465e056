// test_programs.h — programs for the mapping tests: one rich hand-written program touching
// every field and enum value, a seeded random generator for property tests, and a helper that
// waits for a condition (a liveness bound, never a performance threshold).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>

#include "program/program.h"

namespace openvpc::mapping::testing {

// Every kind, every enum value, IPv4 and IPv6, non-default flags, lists out of id order.
program::Program rich_program();

// A random but well-formed program (unique keys per kind). Ids, addresses and names come from
// small sets so that two random programs share, change and drop objects.
program::Program random_program(std::mt19937_64& random);

// A copy of `program` with a few random objects added, changed or dropped.
program::Program mutate(const program::Program& program, std::mt19937_64& random);

// Polls `condition` until it holds or `limit` passes; returns whether it held.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds limit = std::chrono::seconds(30));

}  // namespace openvpc::mapping::testing
