// action_parameters.h — the top-level query parameters each served EC2 action accepts, from
// botocore's EC2 service model (generated: action_parameters.cc, by generate_parameters.py).
//
// Parameters EC2 added after that model (ClientToken on CreateNetworkAcl, ...) come from a small
// vendored overlay, NEWER in generate_parameters.py, which cites the API reference for each.
// A request naming any other top-level parameter gets EC2's UnknownParameter error before the
// action runs. "Action" and "Version" are always allowed and not listed.
#pragma once

#include <map>
#include <set>
#include <string>

namespace openvpc::api {

const std::map<std::string, std::set<std::string>, std::less<>>& action_parameters();

}  // namespace openvpc::api
