// key_range.h — a key prefix as the half-open byte range [begin, end) that holds exactly the
// keys starting with it; both backends scan ranges, etcd wants the end on the wire.
//
// Invariant: a key k starts with prefix iff prefix <= k and (end is empty or k < end); end is
// empty when no upper bound exists (an empty prefix, or one of 0xff bytes only).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace openvpc::store {

// The smallest key greater than every key that starts with prefix; empty when there is none.
std::string prefix_end(std::string_view prefix);

// Rules every backend applies to a transaction before running it: no empty key, and no key
// named by two operations (store.invalid_argument).
Result<void> check_transaction(const std::vector<Compare>& compares,
                               const std::vector<Operation>& ops);

}  // namespace openvpc::store
