// The controller's mapping-service wiring end to end in one process: an EC2 API call through the
// service layer, the publisher recompiling affected hosts, the MappingServer streaming the new
// version to a MappingClient subscribed as h1, and an unaffected host getting no new version.
#include "controller/program_publisher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <thread>

#include "api/service.h"
#include "controller/admin.h"
#include "mapping/mapping_client.h"
#include "mapping/mapping_server.h"
#include "model/account.h"
#include "model/memory_store.h"
#include "model/operations.h"

namespace openvpc::controller {
namespace {

constexpr int64_t kNow = 1'700'000'000;
using namespace std::chrono_literals;

// What a router saw: the programs by version, for waiting on.
class ReceivedPrograms {
 public:
  void add(const program::Program& program, uint64_t version) {
    std::lock_guard lock(mutex_);
    latest_ = program::to_text(program);
    version_ = version;
    changed_.notify_all();
  }
  // The program text once the version reaches `version`, or "" after a timeout.
  std::string wait_for(uint64_t version) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return version_ >= version; });
    return version_ >= version ? latest_ : "";
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string latest_;
  uint64_t version_ = 0;
};

class ProgramPublisherTest : public ::testing::Test {
 protected:
  ProgramPublisherTest()
      : regions_(store_),
        service_(
            regions_, {}, [] { return kNow; }, 1),
        publisher_(regions_, compile_options(),
                   [this](const std::string& host, const program::Program& program) {
                     return server_->publish(host, program);
                   }) {
    mapping::MappingServerOptions options;
    options.lookup = [this](uint32_t vni, const program::IpAddress& address) {
      return publisher_.lookup(vni, address);
    };
    server_ = std::make_unique<mapping::MappingServer>(std::move(options));
    build_region();
  }
  ~ProgramPublisherTest() override {
    if (client_) client_->stop();
    server_->stop();
  }

  static model::CompileOptions compile_options() {
    model::CompileOptions options;
    options.host_underlays = {{"h1", "127.0.0.2"}, {"h2", "127.0.0.3"}};
    return options;
  }

  // Alice has two VPCs: one with an instance on h1, one with an instance on h2.
  void build_region() {
    model::IdSource ids(7);
    auto committed = regions_.mutate([&](model::Region& region) -> Result<void> {
      auto account = model::create_account(region, ids, "alice", false);
      if (!account) return account.error();
      auto key = model::create_access_key(region, ids, *account);
      if (!key) return key.error();
      alice_ = *key;
      model::Caller caller;
      caller.account_id = *account;
      caller.ids = &ids;
      caller.now = kNow;
      for (const std::string host : {"h1", "h2"}) {
        auto vpc = model::create_vpc(region, caller, "10.0.0.0/16");
        if (!vpc) return vpc.error();
        auto subnet = model::create_subnet(region, caller, *vpc, "10.0.1.0/24", "");
        if (!subnet) return subnet.error();
        model::InstanceRequest request;
        request.network.subnet_id = *subnet;
        request.host_id = host;
        auto instance = model::run_instances(region, caller, request);
        if (!instance) return instance.error();
        (host == "h1" ? h1_group_ : h2_group_) = region.vpcs.at(*vpc).default_security_group_id;
        (host == "h1" ? h1_vni_ : h2_vni_) = region.vpcs.at(*vpc).vni;
      }
      return {};
    });
    EXPECT_TRUE(committed.ok()) << committed.error().message;
  }

  api::HttpResponse call(const std::string& body) {
    api::HttpRequestView request;
    request.headers["host"] = "127.0.0.1";
    request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    request.body = body;
    api::sign_request(request, {}, alice_.access_key_id, alice_.secret_access_key, kNow);
    return service_.handle(request, "127.0.0.1");
  }

  void subscribe(const std::string& host, int port) {
    client_ = std::make_unique<mapping::MappingClient>(
        mapping::MappingClientOptions{.target = "127.0.0.1:" + std::to_string(port),
                                      .host_id = host},
        [this](const program::Program& program, uint64_t version) -> Result<void> {
          received_.add(program, version);
          return {};
        });
    client_->start();
  }

  testing::MemoryStore store_;
  model::RegionStore regions_;
  api::ApiService service_;
  std::unique_ptr<mapping::MappingServer> server_;
  ProgramPublisher publisher_;
  std::unique_ptr<mapping::MappingClient> client_;
  ReceivedPrograms received_;
  model::AccessKey alice_;
  std::string h1_group_, h2_group_;
  uint32_t h1_vni_ = 0, h2_vni_ = 0;
};

TEST_F(ProgramPublisherTest, ApiChangeReachesTheAffectedHostOnly) {
  auto first = publisher_.refresh();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, (std::vector<std::string>{"h1", "h2"}));
  auto port = server_->start();
  ASSERT_TRUE(port.ok()) << port.error().message;
  subscribe("h1", *port);
  std::string before = received_.wait_for(1);
  ASSERT_NE(before, "");
  EXPECT_EQ(before.find("tcp 22"), std::string::npos);
  EXPECT_NE(before.find("host underlay=127.0.0.2"), std::string::npos);

  auto answer =
      call("Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=" + h1_group_ +
           "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22"
           "&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0");
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto second = publisher_.refresh();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, std::vector<std::string>{"h1"});

  std::string after = received_.wait_for(2);
  EXPECT_NE(after.find("ingress tcp 22 from 0.0.0.0/0"), std::string::npos) << after;
  EXPECT_EQ(server_->host("h1")->desired_version, 2u);
  EXPECT_EQ(server_->host("h2")->desired_version, 1u);  // its VPC did not change
  for (int i = 0; i < 100 && server_->host("h1")->acked_version < 2; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(server_->host("h1")->acked_version, 2u);

  // Nothing committed since: a refresh publishes nothing.
  EXPECT_TRUE(publisher_.refresh()->empty());
}

TEST_F(ProgramPublisherTest, LookupAnswersFromTheLatestRegion) {
  ASSERT_TRUE(publisher_.refresh().ok());
  auto port = server_->start();
  ASSERT_TRUE(port.ok());
  subscribe("h1", *port);
  ASSERT_NE(received_.wait_for(1), "");
  auto found = client_->lookup(h2_vni_, program::address_literal("10.0.1.4"), 5s);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(program::format_address((*found)->underlay), "127.0.0.3");
  auto missing = client_->lookup(h2_vni_, program::address_literal("10.0.1.99"), 5s);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(ProgramPublisherTest, AdminHostsListsDesiredAndAckedVersions) {
  ASSERT_TRUE(publisher_.refresh().ok());
  AdminService admin(
      regions_, "us-east-1", [] { return kNow; }, 3);
  admin.set_host_source([this] { return server_->hosts(); }, compile_options());
  model::IdSource ids(5);
  auto admin_key = regions_.mutate([&](model::Region& region) -> Result<void> {
    auto id = model::create_account(region, ids, "admin", true);
    if (!id) return id.error();
    return model::create_access_key(region, ids, *id).ok() ? Result<void>{}
                                                           : make_error("test", "key");
  });
  ASSERT_TRUE(admin_key.ok());
  model::AccessKey key;
  for (const auto& [id, k] : (*admin_key)->access_keys) {
    if ((*admin_key)->accounts.at(k.account_id).admin) key = k;
  }
  api::HttpRequestView request;
  request.method = "GET";
  request.path = "/admin/hosts";
  request.headers["host"] = "127.0.0.1";
  api::sign_request(request, {}, key.access_key_id, key.secret_access_key, kNow);
  auto answer = admin.handle("hosts", request);
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto hosts = nlohmann::json::parse(answer.body)["hosts"];
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0]["host_id"], "h1");
  EXPECT_EQ(hosts[0]["underlay"], "127.0.0.2");
  EXPECT_EQ(hosts[0]["desired_version"], 1);
  EXPECT_EQ(hosts[0]["acked_version"], 0);
}

// A change to several hosts goes to PublishMany in one call; the versions it returns are the
// ones the node observer hears.
TEST_F(ProgramPublisherTest, SeveralChangedHostsArePublishedInOneBatch) {
  std::vector<std::vector<std::string>> batches;
  int single = 0;
  std::map<std::string, uint64_t> heard;
  ProgramPublisher publisher(
      regions_, compile_options(),
      [&](const std::string&, const program::Program&) { return uint64_t(++single); },
      [&](const std::string& host, uint64_t version, const program::Program&) {
        heard[host] = version;
      },
      [&](std::span<const mapping::HostProgram> programs) {
        std::vector<std::string> hosts;
        std::vector<uint64_t> versions;
        for (const auto& p : programs) {
          hosts.emplace_back(p.host_id);
          versions.push_back(10 + hosts.size());
          EXPECT_NE(p.program, nullptr);
        }
        batches.push_back(hosts);
        return versions;
      });
  ASSERT_TRUE(publisher.refresh().ok());
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0], (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ(single, 0);
  EXPECT_EQ(heard, (std::map<std::string, uint64_t>{{"h1", 11}, {"h2", 12}}));
}

}  // namespace
}  // namespace openvpc::controller
