// bench_api — control-plane costs: one signed EC2 call end to end through ApiService (SigV4
// verification, form decoding, model validation, the optimistic store transaction, XML), over
// the in-memory test store, the real SQLite store and a real etcd; plus the pieces on their own.
//
// The scale benchmarks (BM_Sg*) run against one region per backend that grows to 100, 1k, 10k
// and 100k security groups (one ingress rule and a Name tag each; every block of
// kGroupsPerVpc consecutive groups in a VPC of its own and with the same Name, so a vpc-id or
// tag:Name filter matches 100 groups at every size; limits raised through ServiceOptions /
// Caller), populated through RegionStore::mutate in batches of kBatch groups
// (one transaction each: etcd's default --max-txn-ops is 128). etcd is /usr/bin/etcd (or
// /usr/local/bin/etcd) started on free 127.0.0.1 ports with a data dir under a scratch
// directory and stopped by PID at exit (tests/unit/store/store_testing.h); without it the etcd
// benchmarks are not registered.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "../tests/unit/model/memory_store.h"
#include "../tests/unit/store/store_testing.h"
#include "api/service.h"
#include "model/account.h"
#include "store/store.h"

namespace {

using namespace openvpc;

constexpr int64_t kNow = 1'700'000'000;
constexpr size_t kGroupsPerVpc = 100;  // groups i*100 .. i*100+99 share VPC i and Name block-i
constexpr size_t kBatch = 100;         // groups per populating transaction (< etcd's 128 ops)
constexpr int kSizes[] = {100, 1000, 10000, 100000};
constexpr size_t kMaxVpcs = 100000 / kGroupsPerVpc;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_api: %s\n", what.c_str());
  std::abort();
}

// Everything the bench writes lives under one directory, removed at exit.
const std::string& scratch_root() {
  static const std::string root = [] {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/openvpc-bench-api-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) die("mkdtemp failed");
    return pattern;
  }();
  return root;
}

model::Limits raised_limits() {
  model::Limits limits;
  limits.vpcs_per_account = static_cast<int>(kMaxVpcs) + 10;
  limits.security_groups_per_vpc = 5000;
  return limits;
}

struct Region {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<model::RegionStore> regions;
  std::unique_ptr<api::ApiService> service;          // audit as constructed
  std::unique_ptr<api::ApiService> audited_service;  // always audits
  model::Limits limits;
  std::string account;
  model::AccessKey key;

  Region(std::unique_ptr<store::Store> backing, bool audit, model::Limits raised = {})
      : store(std::move(backing)),
        regions(std::make_unique<model::RegionStore>(*store)),
        limits(raised) {
    service = std::make_unique<api::ApiService>(
        *regions, api::ServiceOptions{"us-east-1", limits, audit}, [] { return kNow; }, 1);
    audited_service = std::make_unique<api::ApiService>(
        *regions, api::ServiceOptions{"us-east-1", limits, true}, [] { return kNow; }, 3);
    model::IdSource ids(2);
    auto committed = regions->mutate([&](model::Region& region) -> Result<void> {
      auto created = model::create_account(region, ids, "bench", false);
      if (!created) return created.error();
      account = *created;
      key = *model::create_access_key(region, ids, *created);
      return {};
    });
    if (!committed) die("create account: " + committed.error().message);
  }

  api::HttpResponse call(const std::string& body, bool audited = false) {
    api::HttpRequestView request;
    request.headers["host"] = "127.0.0.1";
    request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    request.body = body;
    api::sign_request(request, {}, key.access_key_id, key.secret_access_key, kNow);
    return (audited ? audited_service : service)->handle(request);
  }
};

std::unique_ptr<store::Store> sqlite_store() {
  static int counter = 0;
  auto dir = scratch_root() + "/sqlite-" + std::to_string(counter++);
  auto opened = store::open_sqlite_store(dir);
  if (!opened) die("open sqlite store: " + opened.error().message);
  return std::move(*opened);
}

// --- a real etcd, one member on 127.0.0.1

// One etcd for the whole run, started by the store suite's helper (free ports, bounded wait,
// stopped by PID when the run exits).
std::unique_ptr<store::testing::EtcdCluster>& etcd_server() {
  static std::unique_ptr<store::testing::EtcdCluster> server;
  return server;
}

// --- one region per backend, grown in place to 100, 1k, 10k security groups

enum class Backend { memory, sqlite, etcd };

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::memory:
      return "memory";
    case Backend::sqlite:
      return "sqlite";
    case Backend::etcd:
      return "etcd";
  }
  return "?";
}

struct Populated {
  Region region;
  model::IdSource ids{4};
  std::vector<std::string> vpcs;
  std::vector<std::string> groups;  // creation order

  explicit Populated(std::unique_ptr<store::Store> backing)
      : region(std::move(backing), false, raised_limits()) {}

  model::Caller caller() {
    return model::Caller{region.account, "us-east-1", region.limits, model::kDefaultPublicPools,
                         &ids,           kNow};
  }

  // The VPC and Name of group i.
  static size_t block_of(size_t i) { return i / kGroupsPerVpc; }
  static std::string name_of_block(size_t block) { return "block-" + std::to_string(block); }

  // Adds groups (one tcp/443 ingress rule and a Name tag each) until there are n, kBatch per
  // transaction, with the VPCs they need.
  void grow_to(size_t n, Backend backend) {
    if (groups.size() >= n) return;
    const auto started = std::chrono::steady_clock::now();
    const size_t before = groups.size();
    model::Caller who = caller();
    while (vpcs.size() < (n + kGroupsPerVpc - 1) / kGroupsPerVpc) {
      const size_t first = vpcs.size();
      const size_t end = std::min((n + kGroupsPerVpc - 1) / kGroupsPerVpc, first + 20);
      std::vector<std::string> made_vpcs;
      auto made = region.regions->mutate([&](model::Region& r) -> Result<void> {
        made_vpcs.clear();
        for (size_t v = first; v < end; ++v) {  // 10.x.y.0/24: 64k distinct blocks
          auto vpc = model::create_vpc(
              r, who, "10." + std::to_string(v / 256) + "." + std::to_string(v % 256) + ".0/24");
          if (!vpc) return vpc.error();
          made_vpcs.push_back(*vpc);
        }
        return {};
      });
      if (!made) die("create vpcs: " + made.error().message);
      vpcs.insert(vpcs.end(), made_vpcs.begin(), made_vpcs.end());
    }
    int transactions = 0;
    while (groups.size() < n) {
      const size_t first = groups.size();
      const size_t end = std::min(n, first + kBatch);
      std::vector<std::string> created;
      auto committed = region.regions->mutate([&](model::Region& r) -> Result<void> {
        created.clear();
        for (size_t i = first; i < end; ++i) {
          auto id = model::create_security_group(r, who, vpcs[block_of(i)], "g" + std::to_string(i),
                                                 "bench group");
          if (!id) return id.error();
          auto tagged = model::create_tags(r, who, {*id}, {{"Name", name_of_block(block_of(i))}});
          if (!tagged) return tagged.error();
          model::SecurityGroupRule rule;
          rule.protocol = "tcp";
          rule.from_port = rule.to_port = 443;
          rule.cidr = "10." + std::to_string(i % 256) + ".0.0/16";
          auto added = model::authorize_security_group(r, who, *id, {rule});
          if (!added) return added.error();
          created.push_back(*id);
        }
        return {};
      });
      if (!committed) die("populate: " + committed.error().message);
      groups.insert(groups.end(), created.begin(), created.end());
      ++transactions;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::fprintf(stderr, "bench_api: %s: %zu -> %zu security groups in %.2f s (%d transactions)\n",
                 backend_name(backend), before, n, seconds, transactions);
  }
};

std::map<Backend, std::unique_ptr<Populated>>& populated_regions() {
  static std::map<Backend, std::unique_ptr<Populated>> regions;
  return regions;
}

// The backend's region grown to n groups; null (with the reason in error) if it cannot start.
Populated* populated(Backend backend, size_t n, std::string& error) {
  auto& slot = populated_regions()[backend];
  if (!slot) {
    std::unique_ptr<store::Store> backing;
    switch (backend) {
      case Backend::memory:
        backing = std::make_unique<testing::MemoryStore>();
        break;
      case Backend::sqlite:
        backing = sqlite_store();
        break;
      case Backend::etcd: {
        if (!etcd_server()) etcd_server() = store::testing::EtcdCluster::start(scratch_root());
        if (!etcd_server()) {
          error = "etcd did not start (data and logs under " + scratch_root() + ")";
          return nullptr;
        }
        auto opened = store::open_etcd_store(etcd_server()->endpoints());
        if (!opened) {
          error = "open etcd store: " + opened.error().message;
          return nullptr;
        }
        backing = std::move(*opened);
        break;
      }
    }
    slot = std::make_unique<Populated>(std::move(backing));
  }
  slot->grow_to(n, backend);
  return slot.get();
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  size_t begin = text.find(open) + open.size();
  return text.substr(begin, text.find(close, begin) - begin);
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// AuthorizeSecurityGroupIngress + RevokeSecurityGroupIngress of one extra rule, on a different
// group each iteration: two committed transactions, the region the same size afterwards.
void BM_SgAuthorizeRevoke(benchmark::State& state, Backend backend, bool audited) {
  std::string error;
  Populated* p = populated(backend, static_cast<size_t>(state.range(0)), error);
  if (p == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const std::string permission =
      "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=8080&IpPermissions.1.ToPort=8080"
      "&IpPermissions.1.IpRanges.1.CidrIp=192.0.2.0%2F24";
  size_t k = 0;
  for (auto _ : state) {
    const std::string& group = p->groups[(k++ * 7919) % p->groups.size()];
    auto added = p->region.call(
        "Action=AuthorizeSecurityGroupIngress&GroupId=" + group + permission, audited);
    auto removed =
        p->region.call("Action=RevokeSecurityGroupIngress&GroupId=" + group + permission, audited);
    if (added.status != 200 || removed.status != 200) {
      state.SkipWithError((added.body + removed.body).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}

// DescribeSecurityGroups of one group by GroupId.1 (audited: with the audit record that the
// controller writes for every call, reads included).
void BM_SgDescribeById(benchmark::State& state, Backend backend, bool audited) {
  std::string error;
  Populated* p = populated(backend, static_cast<size_t>(state.range(0)), error);
  if (p == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  size_t k = 0;
  for (auto _ : state) {
    const std::string& group = p->groups[(k++ * 7919) % p->groups.size()];
    auto listed = p->region.call("Action=DescribeSecurityGroups&GroupId.1=" + group, audited);
    if (listed.status != 200) {
      state.SkipWithError(listed.body.c_str());
      break;
    }
    benchmark::DoNotOptimize(listed.body.size());
  }
  state.SetItemsProcessed(state.iterations());
}

// A filtered Describe of one block (a different block each iteration); an answer that lists
// nothing fails the run (a Describe that finds nothing is not the work measured).
//  - DescribeSecurityGroups vpc-id (indexed), MaxResults=100: 100 groups
//  - DescribeSecurityGroups tag:Name (indexed): 100 groups
//  - DescribeSecurityGroups group-name=g<i>* (indexed since issue 14: a prefix; 1-11 match)
//  - DescribeRouteTables / DescribeNetworkAcls vpc-id (indexed since issue 14): the VPC's main
//    route table or default ACL, one of N / 100 (every VPC has one)
enum class DescribeQuery {
  sg_vpc_id,
  sg_tag_name,
  sg_group_name,
  route_tables_vpc_id,
  acls_vpc_id
};

void BM_DescribeFiltered(benchmark::State& state, Backend backend, DescribeQuery which) {
  std::string error;
  Populated* p = populated(backend, static_cast<size_t>(state.range(0)), error);
  if (p == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const size_t blocks = p->vpcs.size();  // one VPC per kGroupsPerVpc groups
  const char* counted = "<groupName>";
  if (which == DescribeQuery::route_tables_vpc_id) counted = "<routeTableId>";
  if (which == DescribeQuery::acls_vpc_id) counted = "<networkAclId>";
  size_t returned = 0;
  size_t k = 0;
  for (auto _ : state) {
    const size_t block = (k++ * 7919) % blocks;
    std::string query;
    switch (which) {
      case DescribeQuery::sg_vpc_id:
        query = "Action=DescribeSecurityGroups&Filter.1.Name=vpc-id&Filter.1.Value.1=" +
                p->vpcs[block] + "&MaxResults=100";
        break;
      case DescribeQuery::sg_tag_name:
        query = "Action=DescribeSecurityGroups&Filter.1.Name=tag%3AName&Filter.1.Value.1=" +
                Populated::name_of_block(block);
        break;
      case DescribeQuery::sg_group_name:
        query = "Action=DescribeSecurityGroups&Filter.1.Name=group-name&Filter.1.Value.1=g" +
                std::to_string(block * kGroupsPerVpc) + "%2A";
        break;
      case DescribeQuery::route_tables_vpc_id:
        query =
            "Action=DescribeRouteTables&Filter.1.Name=vpc-id&Filter.1.Value.1=" + p->vpcs[block];
        break;
      case DescribeQuery::acls_vpc_id:
        query =
            "Action=DescribeNetworkAcls&Filter.1.Name=vpc-id&Filter.1.Value.1=" + p->vpcs[block];
        break;
    }
    auto listed = p->region.call(query);
    returned = listed.status == 200 ? count_of(listed.body, counted) : 0;
    if (returned == 0) {
      state.SkipWithError(("no answer to " + query + ": " + listed.body).c_str());
      break;
    }
  }
  state.counters["returned"] = static_cast<double>(returned);
  state.SetItemsProcessed(state.iterations());
}

// The pieces of every mutation that grew with the region until issue 14: RegionStore::mutate
// copies the Region, then diffs the copy against it to find the keys to write. With ResourceMap
// the copy shares every chunk and the diff compares only the chunks that differ.
void BM_RegionCopy(benchmark::State& state) {
  std::string error;
  Populated* p = populated(Backend::memory, static_cast<size_t>(state.range(0)), error);
  auto base = p->region.regions->snapshot();
  if (!base) die("snapshot: " + base.error().message);
  for (auto _ : state) {
    model::Region copy(**base);
    benchmark::DoNotOptimize(copy.security_groups.size());
  }
}

void BM_RegionDiff(benchmark::State& state) {
  std::string error;
  Populated* p = populated(Backend::memory, static_cast<size_t>(state.range(0)), error);
  auto base = p->region.regions->snapshot();
  if (!base) die("snapshot: " + base.error().message);
  model::Region changed(**base);
  changed.security_groups.at(p->groups.front()).tags["bench"] = "changed";
  for (auto _ : state) {
    auto ops = model::diff_region(**base, changed);
    if (ops.size() != 1) die("diff: expected one changed key");
    benchmark::DoNotOptimize(ops.data());
  }
}

// What a controller pays when another one committed: the whole region read and decoded.
void BM_RegionDecode(benchmark::State& state) {
  std::string error;
  Populated* p = populated(Backend::memory, static_cast<size_t>(state.range(0)), error);
  auto kvs = p->region.store->range(model::kRegionPrefix);
  if (!kvs) die("range: " + kvs.error().message);
  for (auto _ : state) {
    auto decoded = model::decode_region(kvs->kvs);
    if (!decoded) die("decode: " + decoded.error().message);
    benchmark::DoNotOptimize(decoded->security_groups.size());
  }
}

void register_scale_benchmarks() {
  std::vector<Backend> backends = {Backend::memory, Backend::sqlite};
  if (!store::testing::etcd_binary().empty()) {
    backends.push_back(Backend::etcd);
  } else {
    std::fprintf(stderr,
                 "bench_api: no etcd at /usr/bin/etcd or /usr/local/bin/etcd: "
                 "skipping the etcd benchmarks\n");
  }
  for (Backend backend : backends) {
    const std::string name = backend_name(backend);
    for (int n : kSizes) {
      benchmark::RegisterBenchmark(("BM_SgAuthorizeRevoke/" + name).c_str(), BM_SgAuthorizeRevoke,
                                   backend, false)
          ->Arg(n)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("BM_SgDescribeById/" + name).c_str(), BM_SgDescribeById,
                                   backend, false)
          ->Arg(n)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
      for (auto [label, which] : {std::pair{"VpcId", DescribeQuery::sg_vpc_id},
                                  std::pair{"TagName", DescribeQuery::sg_tag_name},
                                  std::pair{"GroupName", DescribeQuery::sg_group_name}}) {
        benchmark::RegisterBenchmark(
            ("BM_SgDescribeFiltered" + std::string(label) + "/" + name).c_str(),
            BM_DescribeFiltered, backend, which)
            ->Arg(n)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
      if (backend == Backend::memory) {
        for (auto [label, which] :
             {std::pair{"BM_DescribeRouteTablesByVpc/memory", DescribeQuery::route_tables_vpc_id},
              std::pair{"BM_DescribeNetworkAclsByVpc/memory", DescribeQuery::acls_vpc_id}}) {
          benchmark::RegisterBenchmark(label, BM_DescribeFiltered, backend, which)
              ->Arg(n)
              ->UseRealTime()
              ->Unit(benchmark::kMicrosecond);
        }
        benchmark::RegisterBenchmark("BM_RegionCopy", BM_RegionCopy)
            ->Arg(n)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark("BM_RegionDiff", BM_RegionDiff)
            ->Arg(n)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark("BM_RegionDecode", BM_RegionDecode)
            ->Arg(n)
            ->Unit(benchmark::kMicrosecond);
      }
    }
    if (backend != Backend::memory) {  // the same mutations, each with its audit record
      benchmark::RegisterBenchmark(("BM_SgAuthorizeRevokeAudited/" + name).c_str(),
                                   BM_SgAuthorizeRevoke, backend, true)
          ->Arg(kSizes[2])
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("BM_SgDescribeByIdAudited/" + name).c_str(), BM_SgDescribeById,
                                   backend, true)
          ->Arg(kSizes[2])
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

// --- small fixed-size benchmarks

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

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_scale_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  populated_regions().clear();  // close the stores before their backends go
  etcd_server().reset();        // SIGKILL by PID, reaped
  std::error_code ignored;
  std::filesystem::remove_all(scratch_root(), ignored);
  return 0;
}
