// program_cache.h — per-host programs kept up to date incrementally as the Region changes.
//
// A host's program (program_compiler.h) reads only: its own interfaces, and within the VPCs
// they are in, the VPC, subnets, route tables, network ACLs, interfaces, instances, internet
// gateways, NAT gateways, load balancers and the flow logs on them; plus the security groups it
// lists. So a change to the Region affects a host when (a) any of those per-VPC resources of a
// VPC the host is in (before or after) changed — an interface moving between hosts changes the
// interface, so both hosts count — or (b) a security group its previous program lists changed,
// or an interface in such a group changed (its members: a group may be named by a rule of
// another VPC's group). affected_hosts() computes exactly that; everything else keeps its
// previous program. The invariant the tests check after every step of long random operation
// sequences: update() leaves programs() equal to compiling every host afresh.
//
// Edge and hyperplane nodes (CompileOptions::edge_nodes, hyperplane_nodes) are recompiled on
// every change: their programs span the region (a hyperplane node's also reads target groups,
// listeners and instances anywhere). Hosts are never forgotten: a host whose last interface
// left gets an empty program (its router must drop the old one), and stays in programs().
//
// Not thread-safe; the controller's ProgramPublisher serialises calls.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model/program_compiler.h"
#include "model/region.h"

namespace openvpc::model {

using HostPrograms = std::map<std::string, program::Program>;

// The hosts whose program may differ between `before` and `after`, given the programs compiled
// from `before`. Hosts new in `after` (not in `programs`) are always affected.
std::set<std::string> affected_hosts(const Region& before, const Region& after,
                                     const HostPrograms& programs, const CompileOptions& options);

class ProgramCache {
 public:
  explicit ProgramCache(CompileOptions options) : options_(std::move(options)) {}

  // Makes `next` the current Region and recompiles the affected hosts (every host the first
  // time). Returns the hosts recompiled, sorted.
  std::vector<std::string> update(std::shared_ptr<const Region> next);
  // Replaces the options (e.g. the live edge nodes changed) and recompiles every host then;
  // returns the hosts recompiled (none when the options are the same).
  std::vector<std::string> set_options(CompileOptions options);

  const HostPrograms& programs() const { return programs_; }
  const CompileOptions& options() const { return options_; }
  // The Region the programs were compiled from (null before the first update).
  const std::shared_ptr<const Region>& region() const { return region_; }

 private:
  CompileOptions options_;
  std::shared_ptr<const Region> region_;
  HostPrograms programs_;
};

}  // namespace openvpc::model
