// bench_api — control-plane costs: one signed EC2 call end to end through ApiService (SigV4
// verification, form decoding, model validation, the optimistic store transaction, XML), over
// the in-memory test store and over the real SQLite store; plus the pieces on their own.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "../tests/unit/model/memory_store.h"
#include "api/service.h"
#include "model/account.h"
#include "store/store.h"

namespace {

using namespace openvpc;

constexpr int64_t kNow = 1'700'000'000;

struct Region {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<model::RegionStore> regions;
  std::unique_ptr<api::ApiService> service;
  model::AccessKey key;

  explicit Region(std::unique_ptr<store::Store> backing, bool audit)
      : store(std::move(backing)), regions(std::make_unique<model::RegionStore>(*store)) {
    service = std::make_unique<api::ApiService>(
        *regions, api::ServiceOptions{"us-east-1", {}, audit}, [] { return kNow; }, 1);
    model::IdSource ids(2);
    auto committed = regions->mutate([&](model::Region& region) -> Result<void> {
      auto account = model::create_account(region, ids, "bench", false);
      if (!account) return account.error();
      key = *model::create_access_key(region, ids, *account);
      return {};
    });
    if (!committed) std::abort();
  }

  api::HttpResponse call(const std::string& body) {
    api::HttpRequestView request;
    request.headers["host"] = "127.0.0.1";
    request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    request.body = body;
    api::sign_request(request, {}, key.access_key_id, key.secret_access_key, kNow);
    return service->handle(request);
  }
};

std::unique_ptr<store::Store> sqlite_store() {
  auto dir =
      std::filesystem::temp_directory_path() / ("openvpc-bench-api-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto opened = store::open_sqlite_store(dir.string());
  if (!opened) std::abort();
  return std::move(*opened);
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  size_t begin = text.find(open) + open.size();
  return text.substr(begin, text.find(close, begin) - begin);
}

// A create + delete pair of subnets per iteration: two committed transactions.
void run_subnet_churn(benchmark::State& state, Region& region) {
  auto vpc =
      between(region.call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16").body, "<vpcId>", "</vpcId>");
  for (auto _ : state) {
    auto created = region.call("Action=CreateSubnet&VpcId=" + vpc + "&CidrBlock=10.0.1.0%2F24");
    auto id = between(created.body, "<subnetId>", "</subnetId>");
    auto deleted = region.call("Action=DeleteSubnet&SubnetId=" + id);
    if (deleted.status != 200) state.SkipWithError("delete failed");
  }
  state.SetItemsProcessed(state.iterations() * 2);
}

void BM_SubnetChurnMemoryStore(benchmark::State& state) {
  Region region(std::make_unique<testing::MemoryStore>(), false);
  run_subnet_churn(state, region);
}
BENCHMARK(BM_SubnetChurnMemoryStore);

void BM_SubnetChurnSqliteStoreWithAudit(benchmark::State& state) {
  Region region(sqlite_store(), true);
  run_subnet_churn(state, region);
}
BENCHMARK(BM_SubnetChurnSqliteStoreWithAudit);

// DescribeSubnets of one VPC holding state.range(0) subnets (read path, cached snapshot).
void BM_DescribeSubnets(benchmark::State& state) {
  Region region(std::make_unique<testing::MemoryStore>(), false);
  auto vpc =
      between(region.call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16").body, "<vpcId>", "</vpcId>");
  for (int i = 0; i < state.range(0); ++i) {
    region.call("Action=CreateSubnet&VpcId=" + vpc + "&CidrBlock=10.0." + std::to_string(i) +
                ".0%2F24");
  }
  for (auto _ : state) {
    auto listed =
        region.call("Action=DescribeSubnets&Filter.1.Name=vpc-id&Filter.1.Value.1=" + vpc);
    benchmark::DoNotOptimize(listed.body.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DescribeSubnets)->Arg(10)->Arg(200);

void BM_VerifySignature(benchmark::State& state) {
  api::HttpRequestView request;
  request.headers["host"] = "127.0.0.1";
  request.body = "Action=DescribeVpcs&Version=2016-11-15";
  api::sign_request(request, {}, "AKIDEXAMPLE", "secret", kNow);
  auto lookup = [](const std::string&) -> std::optional<std::string> { return "secret"; };
  for (auto _ : state) {
    benchmark::DoNotOptimize(api::verify_signature(request, {}, lookup, kNow).ok());
  }
}
BENCHMARK(BM_VerifySignature);

void BM_ParseQuery(benchmark::State& state) {
  std::string body = "Action=DescribeVpcs&Version=2016-11-15";
  for (int i = 1; i <= 10; ++i) {
    body += "&Filter." + std::to_string(i) + ".Name=tag%3AName&Filter." + std::to_string(i) +
            ".Value.1=value-" + std::to_string(i);
  }
  for (auto _ : state) benchmark::DoNotOptimize(api::Params::parse(body)->filters().ok());
}
BENCHMARK(BM_ParseQuery);

}  // namespace

BENCHMARK_MAIN();
