#include "api/action.h"

#include "api/sigv4.h"

namespace openvpc::api {

namespace {

// A digest of the request's parameters, so a reused ClientToken with other parameters is
// IdempotentParameterMismatch rather than a silent replay.
std::string parameter_digest(const Params& params) {
  std::string all;
  for (const auto& [name, value] : params.all()) all += name + "=" + value + "&";
  return sha256_hex(all);
}

// A stored ClientToken answer: "<digest>\n<unix seconds>\n<answer>". Tokens expire after a
// day (EC2 keeps them at least that long), so the Region does not grow without bound.
constexpr int64_t kTokenLifetimeSeconds = 24 * 3600;

struct TokenRecord {
  std::string digest;
  int64_t created = 0;
  std::string answer;
};

TokenRecord parse_token(const std::string& value) {
  size_t first = value.find('\n');
  size_t second = first == std::string::npos ? first : value.find('\n', first + 1);
  if (second == std::string::npos) return {};
  TokenRecord record{value.substr(0, first), 0, value.substr(second + 1)};
  try {
    record.created = std::stoll(value.substr(first + 1, second - first - 1));
  } catch (const std::exception&) {
    record.created = 0;
  }
  return record;
}

void expire_tokens(model::Region& region, int64_t now) {
  erase_if(region.client_tokens, [&](const auto& entry) {
    return parse_token(entry.second).created < now - kTokenLifetimeSeconds;
  });
}

}  // namespace

Result<std::string> ActionContext::commit(
    const std::function<Result<void>(model::Region&, XmlWriter&)>& change) {
  auto token = params.get("ClientToken");
  std::string token_key;
  std::string digest = parameter_digest(params);
  if (token && !token->empty()) token_key = caller.account_id + "/" + action + "/" + *token;
  std::string answer;
  auto committed = regions_.mutate([&](model::Region& region) -> Result<void> {
    answer.clear();
    if (!token_key.empty()) {
      auto it = region.client_tokens.find(token_key);
      TokenRecord record =
          it == region.client_tokens.end() ? TokenRecord{} : parse_token(it->second);
      if (it != region.client_tokens.end() &&
          record.created >= caller.now - kTokenLifetimeSeconds) {
        if (record.digest != digest) {
          return make_error("IdempotentParameterMismatch",
                            "The client token you have provided is associated with a resource "
                            "that is already created with different parameters.");
        }
        answer = record.answer;
        return {};
      }
    }
    XmlWriter out(XmlWriter::kFragment);
    auto changed = change(region, out);
    if (!changed) return changed.error();
    answer = out.finish();
    if (!token_key.empty()) {
      expire_tokens(region, caller.now);
      region.client_tokens[token_key] = digest + "\n" + std::to_string(caller.now) + "\n" + answer;
    }
    return {};
  });
  if (!committed) return committed.error();
  return answer;
}

model::Tags ActionContext::tag_specifications(std::string_view resource_type) const {
  model::Tags tags;
  int n = params.count("TagSpecification");
  for (int i = 1; i <= n; ++i) {
    std::string prefix = "TagSpecification." + std::to_string(i);
    if (params.get_or(prefix + ".ResourceType", "") != resource_type) continue;
    for (const auto& [key, value] : params.tags(prefix + ".Tag")) tags[key] = value;
  }
  return tags;
}

ActionHandler returning_true(std::function<Result<void>(ActionContext&, model::Region&)> change) {
  return [change](ActionContext& ctx) {
    return ctx.commit([&](model::Region& region, XmlWriter& out) -> Result<void> {
      auto changed = change(ctx, region);
      if (!changed) return changed.error();
      out.boolean("return", true);
      return {};
    });
  };
}

Result<void> tag_new_resource(ActionContext& ctx, model::Region& region, const std::string& id,
                              std::string_view resource_type) {
  model::Tags tags = ctx.tag_specifications(resource_type);
  if (tags.empty()) return {};
  return model::create_tags(region, ctx.caller, {id}, tags);
}

void render_tags(XmlWriter& out, const model::Tags& tags) {
  out.open("tagSet");
  for (const auto& [key, value] : tags) {
    out.open("item").text("key", key).text("value", value).close();
  }
  out.close();
}

std::vector<std::string> id_list(const Params& params, const std::string& name) {
  return params.list(name);
}

}  // namespace openvpc::api
