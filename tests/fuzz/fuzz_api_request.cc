// fuzz_api_request — libFuzzer target for the EC2 Query request path.
//
// Three things per input: (1) the form decoder and the structured readers (Name.N lists,
// Filter.N.Value.M, Tag.N, typed values); (2) SigV4 verification of a request whose
// Authorization / X-Amz-Date headers come from the input; (3) the whole ApiService with the
// input as a correctly signed body, so every action handler sees arbitrary parameters — signed
// once for EC2 and once for Elastic Load Balancing (elbv2.h). The invariant: no crash, no
// sanitizer report, and every answer is 200 or, with status 400, the error document of the
// API it was signed for (never 5xx: the in-memory store cannot fail).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "../unit/model/memory_store.h"
#include "api/service.h"
#include "model/account.h"

namespace {

using namespace openvpc;

constexpr int64_t kNow = 1'700'000'000;

struct Harness {
  testing::MemoryStore store;
  model::RegionStore regions{store};
  api::ApiService service{regions, {"us-east-1", {}, false}, [] { return kNow; }, 1};
  model::AccessKey key;

  Harness() {
    model::IdSource ids(5);
    auto committed = regions.mutate([&](model::Region& region) -> Result<void> {
      auto account = model::create_account(region, ids, "fuzz", false);
      if (!account) return account.error();
      auto created = model::create_access_key(region, ids, *account);
      if (!created) return created.error();
      key = *created;
      return {};
    });
    if (!committed) __builtin_trap();
  }
};

void exercise_params(const std::string& body) {
  auto params = api::Params::parse(body);
  if (!params) return;
  (void)params->filters();
  (void)params->tags("Tag");
  (void)params->tags("TagSpecification.1.Tag");
  (void)params->list("VpcId");
  (void)params->count("IpPermissions");
  (void)params->integer("MaxResults", 5, 1000);
  (void)params->boolean("DryRun");
}

void exercise_signature(const std::string& input) {
  size_t first = input.find('\n');
  size_t second = first == std::string::npos ? std::string::npos : input.find('\n', first + 1);
  api::HttpRequestView request;
  request.headers["host"] = "127.0.0.1";
  request.headers["authorization"] = input.substr(0, first);
  if (first != std::string::npos) {
    request.headers["x-amz-date"] = input.substr(first + 1, second - first - 1);
  }
  if (second != std::string::npos) request.body = input.substr(second + 1);
  auto lookup = [](const std::string& id) -> std::optional<std::string> {
    if (id == "AKIDEXAMPLE") return "secret";
    return std::nullopt;
  };
  (void)api::verify_signature(request, {}, lookup, kNow);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<Harness> harness;
  static int runs = 0;
  if (!harness || ++runs % 2000 == 0) harness = std::make_unique<Harness>();  // bound growth
  std::string input(reinterpret_cast<const char*>(data), size);
  exercise_params(input);
  exercise_signature(input);

  for (const std::string service : {"ec2", "elasticloadbalancing"}) {
    api::HttpRequestView request;
    request.headers["host"] = "127.0.0.1";
    request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    request.body = input;
    api::sign_request(request, {"us-east-1", service}, harness->key.access_key_id,
                      harness->key.secret_access_key, kNow);
    auto response = harness->service.handle(request);
    if (response.status != 200 && response.status != 400) __builtin_trap();
    const char* error_shape =
        service == "ec2" ? "<Response><Errors><Error><Code>" : "<Error><Type>Sender</Type><Code>";
    if (response.status == 400 && response.body.find(error_shape) == std::string::npos) {
      __builtin_trap();
    }
  }
  return 0;
}
