// fuzz_region_records — libFuzzer target for a store whose records are corrupted or forged:
// model::decode_region (what the controller runs at start and after another controller's
// commit) and, when the records decode, the program compiler over every host (what it
// publishes next). A damaged row must cost the controller a "store.corrupt" error or a
// program that leaves the broken resource out, never its process.
//
// The input's first byte picks how it is read:
// - even: edits of a valid region's records (a VPC with two subnets, security groups that
//   reference each other, an internet gateway and its route, two instances on two hosts, an
//   elastic IP, a NAT gateway, a network ACL entry), so most inputs decode and reach the
//   compiler with references that dangle or point at the wrong kind. Each edit is
//   [record][operation][leaf][payload...]: drop the record, set one JSON leaf to a value made
//   from the payload, copy the record under a new id, or set a string leaf to another record's
//   id.
// - odd: raw records, one per line, "key value".
// Invariants: no crash, no sanitizer report, no exception out of decode_region or the compiler.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/nat_gateway.h"
#include "model/operations.h"
#include "model/program_compiler.h"
#include "model/region.h"

namespace {

using namespace openvpc;
using nlohmann::json;

struct Record {
  std::string key;
  json value;
};

std::vector<Record> seed_records() {
  model::Region region;
  model::IdSource ids(7);
  model::Caller caller;
  caller.account_id = "111111111111";
  caller.ids = &ids;
  caller.now = 1'700'000'000;
  auto vpc = model::create_vpc(region, caller, "10.0.0.0/16");
  if (!vpc) return {};
  auto a = model::create_subnet(region, caller, *vpc, "10.0.1.0/24", "");
  auto b = model::create_subnet(region, caller, *vpc, "10.0.2.0/24", "");
  auto web = model::create_security_group(region, caller, *vpc, "web", "web");
  auto db = model::create_security_group(region, caller, *vpc, "db", "db");
  if (!a || !b || !web || !db) return {};
  model::SecurityGroupRule from_web;
  from_web.protocol = "tcp";
  from_web.from_port = from_web.to_port = 5432;
  from_web.referenced_group_id = *web;
  model::SecurityGroupRule http;
  http.protocol = "tcp";
  http.from_port = http.to_port = 80;
  http.cidr = "0.0.0.0/0";
  (void)model::authorize_security_group(region, caller, *db, {from_web});
  (void)model::authorize_security_group(region, caller, *web, {http});
  auto igw = model::create_internet_gateway(region, caller);
  if (igw) (void)model::attach_internet_gateway(region, caller, *igw, *vpc);
  const std::string main_table =
      region.route_tables.empty() ? "" : region.route_tables.begin()->first;
  if (igw) {
    model::RouteTarget target;
    target.gateway_id = *igw;
    (void)model::create_route(region, caller, main_table, "0.0.0.0/0", target, false);
  }
  model::InstanceRequest one;
  one.network.subnet_id = *a;
  one.network.group_ids = {*web};
  one.host_id = "127.0.0.2";
  one.associate_public_ip = true;
  model::InstanceRequest two;
  two.network.subnet_id = *b;
  two.network.group_ids = {*db};
  two.host_id = "127.0.0.3";
  auto first = model::run_instances(region, caller, one);
  (void)model::run_instances(region, caller, two);
  if (auto eip = model::allocate_address(region, caller); eip && first && !first->empty()) {
    model::AssociateAddressRequest associate;
    associate.allocation_id = *eip;
    associate.instance_id = first->front();
    (void)model::associate_address(region, caller, associate);
  }
  if (auto eip = model::allocate_address(region, caller)) {
    model::NatGatewayRequest nat;
    nat.subnet_id = *a;
    nat.allocation_id = *eip;
    (void)model::create_nat_gateway(region, caller, nat);
  }
  if (!region.network_acls.empty()) {
    model::NetworkAclEntry deny;
    deny.rule_number = 50;
    deny.protocol = "tcp";
    deny.allow = false;
    deny.cidr = "10.0.2.0/24";
    deny.from_port = deny.to_port = 22;
    (void)model::create_network_acl_entry(region, caller, region.network_acls.begin()->first, deny,
                                          false);
  }
  std::vector<Record> records;
  for (const auto& op : model::diff_region(model::Region{}, region)) {
    records.push_back({op.key, json::parse(op.value)});
  }
  return records;
}

const std::vector<Record>& seed() {
  static const std::vector<Record> records = seed_records();
  return records;
}

const model::CompileOptions& options() {
  static const model::CompileOptions o = [] {
    model::CompileOptions c;
    c.edge_nodes = {{"edge-1", "127.0.0.9"}};
    c.hyperplane_nodes = {{"hp-1", "127.0.0.10"}, {"hp-2", "127.0.0.11"}, {"hp-3", "127.0.0.12"}};
    return c;
  }();
  return o;
}

void leaves(json& value, std::vector<json*>& out) {
  if (value.is_object() || value.is_array()) {
    for (auto& child : value) leaves(child, out);
    if (value.empty()) out.push_back(&value);
  } else {
    out.push_back(&value);
  }
}

// A JSON value from the payload: null, a bool, a small or extreme integer, a string, [] or {}.
json made_value(const uint8_t*& data, size_t& size) {
  if (size == 0) return nullptr;
  const uint8_t kind = data[0];
  ++data, --size;
  switch (kind % 7) {
    case 0:
      return nullptr;
    case 1:
      return (kind & 0x80) != 0;
    case 2: {
      int64_t v = 0;
      for (int i = 0; i < 8 && size > 0; ++i, ++data, --size) v = (v << 8) | data[0];
      return v;
    }
    case 3:
      return int((kind >> 3) % 5) - 1;  // -1 .. 3: indexes, numbers, ports
    case 4: {
      if (size == 0) return "";
      const size_t length = std::min<size_t>(data[0], size - 1);
      std::string s(reinterpret_cast<const char*>(data + 1), length);
      data += 1 + length, size -= 1 + length;
      return s;
    }
    case 5:
      return json::array();
    default:
      return json::object();
  }
}

std::vector<store::KeyValue> edited(const uint8_t* data, size_t size) {
  std::vector<Record> records = seed();
  if (records.empty()) return {};
  while (size >= 3 && !records.empty()) {
    const size_t index = data[0] % records.size();
    const uint8_t operation = data[1] % 4;
    const uint8_t leaf = data[2];
    data += 3, size -= 3;
    Record& record = records[index];
    std::vector<json*> all;
    leaves(record.value, all);
    switch (operation) {
      case 0:
        records.erase(records.begin() + long(index));
        break;
      case 1:
        *all[leaf % all.size()] = made_value(data, size);
        break;
      case 2: {
        Record copy = record;
        copy.key += "x";
        records.push_back(std::move(copy));
        break;
      }
      default: {
        const Record& other = records[leaf % records.size()];
        const std::string other_id = other.key.substr(other.key.rfind('/') + 1);
        std::vector<json*> strings;
        for (json* j : all)
          if (j->is_string()) strings.push_back(j);
        if (!strings.empty()) *strings[(leaf / 7) % strings.size()] = other_id;
      }
    }
  }
  std::vector<store::KeyValue> kvs;
  for (const Record& r : records) {
    kvs.push_back({r.key, r.value.dump(-1, ' ', false, json::error_handler_t::replace)});
  }
  return kvs;
}

std::vector<store::KeyValue> raw(const uint8_t* data, size_t size) {
  std::vector<store::KeyValue> kvs;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  while (!text.empty() && kvs.size() < 64) {
    const size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    const size_t space = std::min(line.find(' '), line.size());
    kvs.push_back({std::string(line.substr(0, space)),
                   std::string(line.substr(std::min(space + 1, line.size())))});
  }
  return kvs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool raw_records = (data[0] & 1) != 0;
  const auto kvs = raw_records ? raw(data + 1, size - 1) : edited(data + 1, size - 1);
  auto region = model::decode_region(kvs);
  if (!region) return 0;
  for (const std::string& host : model::program_hosts(*region, options())) {
    (void)model::compile_host_program(*region, host, options());
  }
  for (const auto& [id, vpc] : region->vpcs) {
    (void)model::lookup_mapping(*region, options(), vpc.vni, program::address_literal("10.0.1.4"));
  }
  return 0;
}
