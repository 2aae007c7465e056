// Golden tests of the per-host program compiler, and the incremental ProgramCache checked
// against a full recompute after every step of long random operation sequences.
//
// Golden files live in tests/unit/model/golden/; OPENVPC_UPDATE_GOLDEN=1 rewrites them.
#include "model/program_compiler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "model/fixture.h"
#include "model/program_cache.h"

namespace openvpc::model {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(OPENVPC_GOLDEN_DIR) + "/" + name;
  const char* update = std::getenv("OPENVPC_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path) << actual;
    return;
  }
  EXPECT_EQ(read_file(path), actual)
      << "golden " << path << " differs; OPENVPC_UPDATE_GOLDEN=1 rewrites it";
}

template <typename T>
T ok(Result<T> result) {
  EXPECT_TRUE(result.ok()) << result.error().code << ": " << result.error().message;
  return result.ok() ? std::move(*result) : T{};
}

void ok(Result<void> result) {
  EXPECT_TRUE(result.ok()) << result.error().code << ": " << result.error().message;
}

class ProgramCompilerTest : public testing::RegionTest {
 protected:
  ProgramCompilerTest() { options_.host_underlays = {{"h1", "192.0.2.1"}, {"h2", "192.0.2.2"}}; }

  std::string instance(const std::string& subnet_id, const std::string& host,
                       std::vector<std::string> groups = {}) {
    InstanceRequest request;
    request.network.subnet_id = subnet_id;
    request.network.group_ids = std::move(groups);
    request.image_id = "ami-test";
    request.host_id = host;
    auto ids = ok(run_instances(region_, caller_, request));
    return ids.empty() ? "" : ids[0];
  }
  const NetworkInterface& primary_interface(const std::string& instance_id) {
    return region_.network_interfaces.at(region_.instances.at(instance_id).primary_interface_id);
  }
  std::string text(const std::string& host) {
    return program::to_text(compile_host_program(region_, host, options_));
  }

  // Two VPCs with the same CIDR on two hosts; "db" admits "web" on 5432; a NACL on the app
  // subnet; a default route through an appliance ENI; an internet gateway in the second VPC.
  void build_topology() {
    std::string a = vpc("10.0.0.0/16");
    std::string b = vpc("10.0.0.0/16");
    std::string app = subnet(a, "10.0.1.0/24");
    std::string data = subnet(a, "10.0.2.0/24");
    std::string other = subnet(b, "10.0.1.0/24");
    std::string web = ok(create_security_group(region_, caller_, a, "web", "web tier"));
    std::string db = ok(create_security_group(region_, caller_, a, "db", "db tier"));
    SecurityGroupRule from_web;
    from_web.protocol = "tcp";
    from_web.from_port = from_web.to_port = 5432;
    from_web.referenced_group_id = web;
    ok(authorize_security_group(region_, caller_, db, {from_web}));
    SecurityGroupRule http;
    http.protocol = "tcp";
    http.from_port = http.to_port = 80;
    http.cidr = "0.0.0.0/0";
    SecurityGroupRule ping;
    ping.protocol = "icmp";
    ping.from_port = 8;
    ping.to_port = -1;
    ping.cidr = "10.0.0.0/16";
    ok(authorize_security_group(region_, caller_, web, {http, ping}));

    std::string acl = ok(create_network_acl(region_, caller_, a));
    ok(create_network_acl_entry(region_, caller_, acl,
                                {100, false, "tcp", true, "0.0.0.0/0", 80, 80, -1, -1}, false));
    ok(create_network_acl_entry(region_, caller_, acl,
                                {110, false, "icmp", true, "10.0.0.0/16", -1, -1, 8, -1}, false));
    ok(create_network_acl_entry(region_, caller_, acl,
                                {100, true, "-1", true, "0.0.0.0/0", -1, -1, -1, -1}, false));
    ok(create_network_acl_entry(region_, caller_, acl,
                                {90, true, "udp", false, "10.0.2.0/24", 53, 53, -1, -1}, false));
    for (auto& [id, existing] : region_.network_acls) {
      for (auto& association : existing.associations) {
        if (association.subnet_id == app) {
          ok(replace_network_acl_association(region_, caller_, association.id, acl));
          break;
        }
      }
    }

    std::string web1 = instance(app, "h1", {web});
    std::string appliance = instance(app, "h1", {web});
    instance(data, "h2", {db});
    instance(other, "h1");
    instance(other, "h2");
    const std::string appliance_eni = primary_interface(appliance).id;
    ok(modify_network_interface(region_, caller_, appliance_eni, false, {}));
    ok(assign_private_ip_addresses(region_, caller_, primary_interface(web1).id, {}, 1));
    ok(create_route(region_, caller_, region_.vpcs.at(a).main_route_table_id, "0.0.0.0/0",
                    {"", appliance_eni, ""}, false));
    std::string igw = ok(create_internet_gateway(region_, caller_));
    ok(attach_internet_gateway(region_, caller_, igw, b));
    ok(create_route(region_, caller_, region_.vpcs.at(b).main_route_table_id, "0.0.0.0/0",
                    {igw, "", ""}, false));
  }

  CompileOptions options_;
};

TEST_F(ProgramCompilerTest, GoldenTwoHostsTwoVpcsWithTheSameCidr) {
  build_topology();
  expect_golden("two_vpcs_h1.txt", text("h1"));
  expect_golden("two_vpcs_h2.txt", text("h2"));
  expect_golden("two_vpcs_h3.txt", text("h3"));  // a host with nothing on it
}

TEST_F(ProgramCompilerTest, IsAPureFunction) {
  build_topology();
  EXPECT_EQ(text("h1"), text("h1"));
  Region copy = region_;
  EXPECT_EQ(program::to_text(compile_host_program(copy, "h2", options_)), text("h2"));
}

TEST_F(ProgramCompilerTest, HostIdThatIsAnAddressIsItsOwnUnderlay) {
  std::string s = subnet(vpc(), "10.0.1.0/24");
  instance(s, "127.0.0.2");
  auto program = compile_host_program(region_, "127.0.0.2", options_);
  EXPECT_EQ(program::format_address(program.host_underlay), "127.0.0.2");
  ASSERT_EQ(program.mappings.size(), 1u);
  EXPECT_EQ(program::format_address(program.mappings[0].underlay), "127.0.0.2");
  EXPECT_EQ(program_hosts(region_, options_), (std::set<std::string>{"127.0.0.2", "h1", "h2"}));
}

TEST_F(ProgramCompilerTest, InstanceNameHostnameDnsAttributesAndRegion) {
  std::string v = vpc();
  ok(modify_vpc_attribute(region_, caller_, v, "enableDnsHostnames", true));
  std::string s = subnet(v, "10.0.1.0/24");
  std::string here = instance(s, "h1");
  instance(s, "h2");
  options_.region = "eu-west-1";
  auto program = compile_host_program(region_, "h1", options_);
  EXPECT_EQ(program.region, "eu-west-1");
  ASSERT_EQ(program.vpcs.size(), 1u);
  EXPECT_TRUE(program.vpcs[0].dns_support);
  EXPECT_TRUE(program.vpcs[0].dns_hostnames);
  ASSERT_EQ(program.enis.size(), 1u);
  EXPECT_EQ(program.enis[0].instance_id, here);
  std::string ip = primary_interface(here).private_ip;
  std::replace(ip.begin(), ip.end(), '.', '-');
  EXPECT_EQ(program.enis[0].hostname, "ip-" + ip);

  // A terminated instance's interface is no instance's any more.
  ok(terminate_instances(region_, caller_, {here}));
  for (const auto& eni : compile_host_program(region_, "h1", options_).enis) {
    EXPECT_TRUE(eni.instance_id.empty());
  }
}

TEST_F(ProgramCompilerTest, InterfacesOnUnknownHostsAreNotMapped) {
  std::string s = subnet(vpc(), "10.0.1.0/24");
  instance(s, "h1");
  instance(s, "nowhere");
  auto program = compile_host_program(region_, "h1", options_);
  EXPECT_EQ(program.enis.size(), 1u);
  EXPECT_EQ(program.mappings.size(), 1u);
}

TEST_F(ProgramCompilerTest, LookupAnswersFromTheRegion) {
  build_topology();
  const auto& eni = primary_interface(region_.instances.begin()->first);
  uint32_t vni = region_.vpcs.at(eni.vpc_id).vni;
  auto address = *program::parse_address(eni.private_ip);
  auto found = lookup_mapping(region_, options_, vni, address);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->eni, eni.number);
  EXPECT_FALSE(lookup_mapping(region_, options_, vni, *program::parse_address("10.9.9.9")));
  EXPECT_FALSE(lookup_mapping(region_, options_, vni + 1, address));
}

TEST_F(ProgramCompilerTest, RuleInOneVpcRecompilesOnlyItsHosts) {
  std::string a = vpc("10.0.0.0/16");
  std::string b = vpc("10.0.0.0/16");
  instance(subnet(a, "10.0.1.0/24"), "h1");
  instance(subnet(b, "10.0.1.0/24"), "h2");
  ProgramCache cache(options_);
  EXPECT_EQ(cache.update(std::make_shared<Region>(region_)),
            (std::vector<std::string>{"h1", "h2"}));
  SecurityGroupRule ssh;
  ssh.protocol = "tcp";
  ssh.from_port = ssh.to_port = 22;
  ssh.cidr = "0.0.0.0/0";
  ok(authorize_security_group(region_, caller_, region_.vpcs.at(b).default_security_group_id,
                              {ssh}));
  EXPECT_EQ(cache.update(std::make_shared<Region>(region_)), (std::vector<std::string>{"h2"}));
  EXPECT_NE(program::to_text(cache.programs().at("h2")).find("tcp 22"), std::string::npos);
  EXPECT_EQ(cache.update(std::make_shared<Region>(region_)), std::vector<std::string>{});
}

TEST_F(ProgramCompilerTest, FlowLogsReachTheHostsOfTheEnisTheyCover) {
  std::string a = vpc("10.0.0.0/16");
  std::string b = vpc("10.1.0.0/16");
  std::string app = subnet(a, "10.0.1.0/24");
  std::string data = subnet(a, "10.0.2.0/24");
  const uint32_t app_h1 = primary_interface(instance(app, "h1")).number;
  const uint32_t data_h1 = primary_interface(instance(data, "h1")).number;
  const std::string data_h2 = instance(data, "h2");
  instance(subnet(b, "10.1.1.0/24"), "h2");
  ProgramCache cache(options_);
  cache.update(std::make_shared<Region>(region_));

  auto on_vpc = ok(create_flow_logs(region_, caller_, {a}, "ALL", "vpc.log", "", 60));
  auto on_subnet = ok(create_flow_logs(region_, caller_, {data}, "REJECT", "data.log",
                                       "${version} ${srcaddr}", 600));
  auto on_eni = ok(create_flow_logs(region_, caller_, {primary_interface(data_h2).id}, "ACCEPT",
                                    "eni.log", "", 600));
  // Both hosts have ENIs in VPC a; VPC b (only on h2) comes below.
  EXPECT_EQ(cache.update(std::make_shared<Region>(region_)),
            (std::vector<std::string>{"h1", "h2"}));
  const auto h1 = compile_host_program(region_, "h1", options_);
  ASSERT_EQ(h1.flow_logs.size(), 2u);  // the interface's flow log is h2's business
  for (const auto& log : h1.flow_logs) {
    if (log.name == on_vpc[0]) {
      EXPECT_EQ(log.enis,
                (std::vector<uint32_t>{std::min(app_h1, data_h1), std::max(app_h1, data_h1)}));
      EXPECT_EQ(log.traffic, program::FlowLogTraffic::all);
      EXPECT_EQ(log.aggregation_seconds, 60u);
      EXPECT_EQ(log.destination, "vpc.log");
      EXPECT_EQ(log.account_id, caller_.account_id);
    } else {
      EXPECT_EQ(log.name, on_subnet[0]);
      EXPECT_EQ(log.enis, std::vector<uint32_t>{data_h1});
      EXPECT_EQ(log.traffic, program::FlowLogTraffic::reject);
      EXPECT_EQ(log.format, "${version} ${srcaddr}");
    }
    EXPECT_EQ(log.id, region_.flow_logs.at(log.name).number);
    EXPECT_NE(log.id, 0u);
  }
  const auto h2 = compile_host_program(region_, "h2", options_);
  EXPECT_EQ(h2.flow_logs.size(), 3u);
  EXPECT_EQ(cache.programs().at("h1").flow_logs.size(), 2u);

  ok(create_flow_logs(region_, caller_, {b}, "ALL", "b.log", "", 600));
  EXPECT_EQ(cache.update(std::make_shared<Region>(region_)), std::vector<std::string>{"h2"});
  EXPECT_EQ(cache.programs().at("h2").flow_logs.size(), 4u);
  ok(delete_flow_logs(region_, caller_, on_eni));
  EXPECT_EQ(cache.update(std::make_shared<Region>(region_)),
            (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ(cache.programs().at("h2").flow_logs.size(), 3u);
}

}  // namespace
}  // namespace openvpc::model
