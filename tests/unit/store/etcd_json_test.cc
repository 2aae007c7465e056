#include "store/etcd_json.h"

#include <gtest/gtest.h>

namespace openvpc::store::etcd {
namespace {

using nlohmann::json;

TEST(EtcdJsonTest, Base64MatchesRfc4648) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\0\xff\xfe", 3), "AP/+"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(base64_encode(plain), encoded);
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(EtcdJsonTest, Base64RejectsMalformedInput) {
  for (const char* bad : {"Zg=", "Z===", "Zm9v!A==", "=Zg=", "Zg==Zg==", "Zm=v"}) {
    auto decoded = base64_decode(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code, "store.corrupt");
  }
}

TEST(EtcdJsonTest, IntFieldsAreStringsOrNumbersAndZeroWhenAbsent) {
  const json object = {{"a", "42"}, {"b", 7}, {"c", "x1"}, {"d", true}, {"e", "-3"}};
  EXPECT_EQ(*int_field(object, "a"), 42);
  EXPECT_EQ(*int_field(object, "b"), 7);
  EXPECT_EQ(*int_field(object, "missing"), 0);
  EXPECT_EQ(*int_field(object, "e"), -3);
  EXPECT_FALSE(int_field(object, "c"));
  EXPECT_FALSE(int_field(object, "d"));
  EXPECT_FALSE(int_field(json::array(), "a"));
}

TEST(EtcdJsonTest, KeyValueIsValidated) {
  auto kv = key_value(json{{"key", "YQ=="}, {"create_revision", "2"}, {"mod_revision", "3"}});
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->key, "a");
  EXPECT_EQ(kv->value, "");  // etcd leaves an empty value out
  EXPECT_EQ(kv->create_revision, 2);
  EXPECT_EQ(kv->mod_revision, 3);
  EXPECT_FALSE(key_value(json{{"key", "YQ=="}}));                    // no revision
  EXPECT_FALSE(key_value(json{{"mod_revision", "3"}}));              // no key
  EXPECT_FALSE(key_value(json{{"key", 5}, {"mod_revision", "3"}}));  // key not base64 text
  EXPECT_FALSE(key_value(json::parse("[1]")));
}

TEST(EtcdJsonTest, EventsArePutsOrDeletes) {
  auto put = event(json::parse(
      R"({"kv":{"key":"YQ==","create_revision":"2","mod_revision":"2","value":"MQ=="}})"));
  ASSERT_TRUE(put);
  EXPECT_EQ(put->kind, Event::Kind::put);
  EXPECT_EQ(put->kv.value, "1");
  auto erase = event(json::parse(R"({"type":"DELETE","kv":{"key":"YQ==","mod_revision":"3"}})"));
  ASSERT_TRUE(erase);
  EXPECT_EQ(erase->kind, Event::Kind::erase);
  EXPECT_EQ(erase->kv.mod_revision, 3);
  EXPECT_FALSE(event(json::parse(R"({"type":"FROB","kv":{"key":"YQ==","mod_revision":"3"}})")));
  EXPECT_FALSE(event(json::parse(R"({"type":"DELETE"})")));
}

TEST(EtcdJsonTest, HeaderRevisionIsRequired) {
  EXPECT_EQ(*header_revision(json::parse(R"({"header":{"revision":"9"}})")), 9);
  EXPECT_FALSE(header_revision(json::parse(R"({"kvs":[]})")));
  EXPECT_FALSE(header_revision(json::parse(R"({"header":{}})")));
}

TEST(EtcdJsonTest, RequestBodies) {
  EXPECT_EQ(get_request("a"), json::parse(R"({"key":"YQ=="})"));
  EXPECT_EQ(prefix_request("a/", 5),
            json::parse(R"({"key":"YS8=","range_end":"YTA=","limit":"5"})"));
  EXPECT_EQ(prefix_request("", 0), json::parse(R"({"key":"AA==","range_end":"AA=="})"));
  EXPECT_EQ(txn_request({{"a", 4}},
                        {{Operation::Kind::put, "a", "1"}, {Operation::Kind::erase, "b", ""}}),
            json::parse(R"({"compare":[{"key":"YQ==","result":"EQUAL","target":"MOD",
                "mod_revision":"4"}],"success":[{"request_put":{"key":"YQ==","value":"MQ=="}},
                {"request_delete_range":{"key":"Yg=="}}]})"));
  EXPECT_EQ(watch_request("\xff", 3),
            json::parse(R"({"create_request":{"key":"/w==","range_end":"AA==",
                "start_revision":"3"}})"));
}

}  // namespace
}  // namespace openvpc::store::etcd
