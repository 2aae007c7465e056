// region_index.h — the Region's secondary indexes: Describe filters and program numbers
// without a scan.
//
// One ordered set of keys (a ResourceMap of 32-key chunks: copying a Region costs a pointer per
// ~1,500 keys, and a write copies one chunk of ~24 short strings; with 256-key chunks that copy
// was most of a third of a mutation's CPU at 100k groups, as adding or revoking a rule writes a
// key):
//   "<kind>\x1f<filter>\x1f<value>\x1f<id>"  e.g. "sg\x1fvpc-id\x1fvpc-1\x1fsg-2"
//   "#<8 hex digits>\x1f<id>"                 a program number in use (program_numbers.h)
// The ids of one (kind, filter, value) are one key range, and so are those of every value with
// a given prefix (a wildcard pattern's literal start).
//
// The index is brought up to date by sync_indexes, which diffs each indexed map against the
// Region the keys were last synced with: shared chunks are skipped, so a sync costs the chunks
// written since (O(changed × log N)), not N. Operations change resources through plain map
// writes anywhere in the model; instead of hooking every write, whoever reads the index syncs
// first (an operation, on its Region&) or reads a Region that RegionStore synced before
// publishing it (every snapshot and every mutate result). indexes_current says whether a const
// Region's index may be trusted; a reader that finds it stale scans instead.
//
// What a copy of a Region costs for this: the keys' segment pointers and two reference counts;
// no copy of the indexed maps. The Region the keys reflect is the published
// Region itself (a weak self-reference: RegionStore publishes through sync_indexes(shared_ptr)),
// the snapshot a working copy was copied from (alive while the mutation runs), or, after an
// operation synced its working copy, a private copy of it (shared). Where none is left (the
// snapshot a copy came from is gone), the next sync rebuilds the keys from nothing.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/resource_map.h"
#include "model/resources.h"

namespace openvpc::model {

struct Region;

// The keys' map: see above for its chunk size.
using IndexKeys = ResourceMap<char, 32>;

struct RegionIndex {
  IndexKeys keys;
  // The Region whose maps `keys` reflects (see above): `owned` when an operation's sync made it,
  // else `synced`; neither: an empty Region.
  std::shared_ptr<const Region> owned;
  std::weak_ptr<const Region> synced;
};

// Index kinds (the first field of a key).
inline constexpr std::string_view kSubnetKind = "subnet";
inline constexpr std::string_view kSecurityGroupKind = "sg";
inline constexpr std::string_view kInterfaceKind = "eni";
inline constexpr std::string_view kInstanceKind = "instance";
inline constexpr std::string_view kRouteTableKind = "rtb";
inline constexpr std::string_view kNetworkAclKind = "acl";
inline constexpr std::string_view kInternetGatewayKind = "igw";
// A security group rule (sgr-) names the group that holds it: "sgr\x1fsecurity-group-rule-id
// \x1f<rule id>\x1f<group id>" (tags on a rule, DescribeSecurityGroupRules by id).
inline constexpr std::string_view kSecurityGroupRuleKind = "sgr";

// Whether `filter` (a Describe filter name) is indexed for `kind`.
bool indexed_filter(std::string_view kind, std::string_view filter);

// Brings region.index up to date with the region's maps (for an operation on its working copy:
// remembers a copy of the region, O(chunks) pointer copies, when something changed).
void sync_indexes(Region& region);
// The same for a Region about to be published, which becomes its own reference: no copy.
void sync_indexes(const std::shared_ptr<Region>& region);
// Whether region.index reflects the region's maps (O(chunks), no entry compared).
bool indexes_current(const Region& region);

// The ids (sorted, unique) of `kind` resources whose `filter` value may match one of
// `patterns` ('*' and '?' wildcards): exactly those whose value equals a pattern without
// wildcards, plus every value starting with a wildcard pattern's literal prefix — a superset
// for the full filter to check. nullopt when the filter is not indexed for the kind or a pattern
// starts with a wildcard (nothing to narrow by). The index must be current.
std::optional<std::vector<std::string>> indexed_ids(const Region& region, std::string_view kind,
                                                    std::string_view filter,
                                                    const std::vector<std::string>& patterns);
// Calls found(id) for each resource of `kind` whose `filter` value is exactly `value`, in id
// order; the index must be current.
template <typename Found>
void for_each_indexed(const Region& region, std::string_view kind, std::string_view filter,
                      std::string_view value, Found&& found);

// Whether a resource of a kind in the program-number namespace holds `number`; the index must
// be current.
bool program_number_indexed(const Region& region, uint32_t number);

// --- implementation

namespace detail {
inline constexpr char kSeparator = '\x1f';
std::string index_prefix(std::string_view kind, std::string_view filter, std::string_view value);
const IndexKeys& index_keys(const Region& region);
}  // namespace detail

template <typename Found>
void for_each_indexed(const Region& region, std::string_view kind, std::string_view filter,
                      std::string_view value, Found&& found) {
  std::string prefix = detail::index_prefix(kind, filter, value);
  prefix += detail::kSeparator;
  const auto& keys = detail::index_keys(region);
  for (auto it = keys.lower_bound(prefix);
       it != keys.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    found(std::string_view(it->first).substr(prefix.size()));
  }
}

}  // namespace openvpc::model
