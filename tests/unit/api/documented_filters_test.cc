// documented_filters_test.cc — every filter name EC2 documents for an action openvpc serves is
// known to it (issue 17): walks botocore's EC2 model (the one generate_parameters.py reads),
// takes each served action's Filters documentation, and sends each name on its own. A filter
// may match nothing here, but it must never be refused as "The filter '...' is invalid".
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "../model/memory_store.h"
#include "api/service.h"
#include "model/account.h"

namespace openvpc::api {
namespace {

constexpr int64_t kNow = 1'700'000'000;
constexpr const char* kModel =
    "/usr/lib/python3/dist-packages/botocore/data/ec2/2016-11-15/service-2.json";

// Filter names in a Filters member's documentation: "<li> <p> <code>NAME</code> - ...".
// tag:<key> is spelled "tag" or "tag:&lt;key&gt;" there and is tested once per action as
// tag:Name.
std::vector<std::string> documented_filters(const std::string& documentation) {
  std::vector<std::string> names;
  static const std::regex item(R"(<li>\s*<p>\s*<code>([^<]+)</code>)");
  for (auto it = std::sregex_iterator(documentation.begin(), documentation.end(), item);
       it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1];
    if (name == "tag" || name.rfind("tag:", 0) == 0) name = "tag:Name";
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

TEST(DocumentedFilters, EveryFilterEc2DocumentsIsKnown) {
  std::ifstream file(kModel);
  ASSERT_TRUE(file) << "botocore's EC2 model is missing: " << kModel;
  nlohmann::json model = nlohmann::json::parse(file);

  testing::MemoryStore store;
  model::RegionStore regions(store);
  ServiceOptions options;
  options.audit = false;
  ApiService service(
      regions, options, [] { return kNow; }, 11);
  model::AccessKey key;
  model::IdSource ids(13);
  ASSERT_TRUE(regions
                  .mutate([&](model::Region& region) -> Result<void> {
                    auto account = model::create_account(region, ids, "alice", false);
                    if (!account) return account.error();
                    auto created = model::create_access_key(region, ids, *account);
                    if (!created) return created.error();
                    key = *created;
                    return {};
                  })
                  .ok());

  size_t actions_with_filters = 0, filters_sent = 0;
  std::vector<std::string> refused;
  for (const auto& [action, handler] : service.actions()) {
    const auto& operation = model["operations"][action];
    if (!operation.contains("input")) continue;
    const auto& members =
        model["shapes"][operation["input"]["shape"].get<std::string>()]["members"];
    for (const auto& [member, spec] : members.items()) {
      if (spec.value("shape", "") != "FilterList") continue;
      // The query name is the capitalised locationName ("Filter") or the member name.
      std::string query = spec.value("locationName", member);
      query[0] = static_cast<char>(std::toupper(query[0]));
      ++actions_with_filters;
      for (const auto& name : documented_filters(spec.value("documentation", ""))) {
        HttpRequestView request;
        request.headers["host"] = "127.0.0.1";
        request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
        request.body =
            "Action=" + action + "&" + query + ".1.Name=" + name + "&" + query + ".1.Value.1=x";
        sign_request(request, {}, key.access_key_id, key.secret_access_key, kNow);
        HttpResponse response = service.handle(request, "127.0.0.1");
        ++filters_sent;
        // The message is XML-escaped in the body: The filter &apos;NAME&apos; is invalid.
        if (response.body.find("The filter &apos;" + name + "&apos; is invalid") !=
                std::string::npos ||
            response.body.find("<Code>UnknownParameter</Code>") != std::string::npos) {
          refused.push_back(action + " " + name);
        }
      }
    }
  }
  // The walk itself must have found the Describe actions (guards against a model change that
  // would make this test vacuous).
  EXPECT_GE(actions_with_filters, 15u);
  EXPECT_GE(filters_sent, 250u);
  std::string list;
  for (const auto& entry : refused) list += "\n  " + entry;
  EXPECT_TRUE(refused.empty()) << refused.size() << " documented filters refused:" << list;
}

}  // namespace
}  // namespace openvpc::api
