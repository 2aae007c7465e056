#include "store/key_range.h"

#include <set>

namespace openvpc::store {

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last != 0xff) {
      ++last;
      return end;
    }
    end.pop_back();  // 0xff cannot be incremented: carry into the byte before
  }
  return end;
}

Result<void> check_transaction(const std::vector<Compare>& compares,
                               const std::vector<Operation>& ops) {
  for (const auto& compare : compares) {
    if (compare.key.empty()) return make_error("store.invalid_argument", "compare on empty key");
    if (compare.mod_revision < 0) {
      return make_error("store.invalid_argument", "compare on negative revision");
    }
  }
  std::set<std::string_view> keys;
  for (const auto& op : ops) {
    if (op.key.empty()) return make_error("store.invalid_argument", "operation on empty key");
    if (!keys.insert(op.key).second) {
      return make_error("store.invalid_argument", "two operations on one key in a transaction");
    }
  }
  return {};
}

}  // namespace openvpc::store
