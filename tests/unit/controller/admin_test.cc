#include "controller/admin.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/account.h"
#include "model/memory_store.h"

namespace openvpc::controller {
namespace {

constexpr int64_t kNow = 1'700'000'000;

class AdminTest : public ::testing::Test {
 protected:
  AdminTest()
      : regions_(store_),
        admin_(
            regions_, "us-east-1", [] { return kNow; }, 9) {
    dir_ = std::filesystem::temp_directory_path() /
           ("openvpc-admin-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  ~AdminTest() override { std::filesystem::remove_all(dir_); }

  api::HttpResponse post(const std::string& verb, const nlohmann::json& body,
                         const model::AccessKey& key) {
    api::HttpRequestView request;
    request.path = "/admin/" + verb;
    request.headers["host"] = "127.0.0.1";
    request.body = body.dump();
    api::sign_request(request, {}, key.access_key_id, key.secret_access_key, kNow);
    return admin_.handle(verb, request);
  }

  testing::MemoryStore store_;
  model::RegionStore regions_;
  AdminService admin_;
  std::filesystem::path dir_;
};

TEST_F(AdminTest, BootstrapCreatesTheAdminOnceAndWritesPrivateCredentials) {
  model::IdSource ids(1);
  auto first = bootstrap_admin(regions_, ids, dir_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->account_id.size(), 12u);
  auto path = dir_ / "admin-credentials";
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::ifstream file(path);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, credentials_file_text(*first));
  EXPECT_EQ(text.rfind("[default]\naws_access_key_id=AKIA", 0), 0u);
  auto second = bootstrap_admin(regions_, ids, dir_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->access_key_id, first->access_key_id);
  EXPECT_EQ((*regions_.snapshot())->accounts.size(), 1u);
}

TEST_F(AdminTest, AccountsKeysStatusAndAudit) {
  model::IdSource ids(1);
  auto admin_key = *bootstrap_admin(regions_, ids, dir_);
  auto created = post("accounts", {{"name", "alice"}}, admin_key);
  ASSERT_EQ(created.status, 200) << created.body;
  auto alice = nlohmann::json::parse(created.body);
  EXPECT_EQ(alice["account_id"].get<std::string>().size(), 12u);
  EXPECT_EQ(post("accounts", {{"name", "alice"}}, admin_key).status, 400);  // names are unique
  auto key = post("keys", {{"account_id", alice["account_id"]}}, admin_key);
  ASSERT_EQ(key.status, 200);
  EXPECT_EQ(post("keys", {{"account_id", "000000000000"}}, admin_key).status, 400);
  auto status = nlohmann::json::parse(post("status", {}, admin_key).body);
  EXPECT_EQ(status["counts"]["accounts"], 2);
  EXPECT_EQ(post("nonsense", {}, admin_key).status, 400);

  model::AccessKey alice_key{alice["access_key_id"], alice["secret_access_key"],
                             alice["account_id"]};
  auto refused = post("status", {}, alice_key);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("UnauthorizedOperation"), std::string::npos);
  model::AccessKey forged = admin_key;
  forged.secret_access_key = "wrong";
  EXPECT_EQ(post("status", {}, forged).status, 403);

  ASSERT_TRUE(store_
                  .txn({}, {{store::Operation::Kind::put, "/openvpc-audit/1-a",
                             R"({"account":"1","action":"CreateVpc"})"},
                            {store::Operation::Kind::put, "/openvpc-audit/2-b",
                             R"({"account":"2","action":"DeleteVpc"})"}})
                  .ok());
  auto audit = nlohmann::json::parse(post("audit", {{"account", "2"}}, admin_key).body);
  ASSERT_EQ(audit["records"].size(), 1u);
  EXPECT_EQ(audit["records"][0]["action"], "DeleteVpc");
  auto latest = nlohmann::json::parse(post("audit", {{"limit", 1}}, admin_key).body);
  ASSERT_EQ(latest["records"].size(), 1u);
  EXPECT_EQ(latest["records"][0]["action"], "DeleteVpc");
}

}  // namespace
}  // namespace openvpc::controller
