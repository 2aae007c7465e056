// packet_json.h — PacketMeta as JSON, for `openvpc-packet parse` and the tests that compare
// openvpc's parser with scapy and tshark. Field names follow parser.h; addresses are text.
#pragma once

#include <nlohmann/json.hpp>

#include "packet/parser.h"

namespace openvpc::tools {

nlohmann::json meta_to_json(const packet::PacketMeta& meta);

}  // namespace openvpc::tools
