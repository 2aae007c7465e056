// Network ACL actions: Create/Delete/DescribeNetworkAcls, Create/Replace/DeleteNetworkAclEntry,
// ReplaceNetworkAclAssociation.
#include "api/action.h"

namespace openvpc::api {

namespace {

using model::Region;

FilterFields acl_fields(const model::NetworkAcl& acl) {
  FilterFields fields{{"association.association-id", {}},
                      {"association.network-acl-id", {}},
                      {"association.subnet-id", {}},
                      {"default", {acl.is_default ? "true" : "false"}},
                      {"entry.cidr", {}},
                      {"entry.egress", {}},
                      {"entry.protocol", {}},
                      {"entry.rule-action", {}},
                      {"entry.rule-number", {}},
                      {"entry.icmp.type", {}},
                      {"entry.icmp.code", {}},
                      {"entry.port-range.from", {}},
                      {"entry.port-range.to", {}},
                      {"entry.ipv6-cidr", {}},  // IPv4 only
                      {"network-acl-id", {acl.id}},
                      {"owner-id", {acl.owner}},
                      {"vpc-id", {acl.vpc_id}}};
  for (const auto& association : acl.associations) {
    fields["association.association-id"].push_back(association.id);
    fields["association.network-acl-id"].push_back(acl.id);
    fields["association.subnet-id"].push_back(association.subnet_id);
  }
  for (const auto& entry : acl.entries) {
    fields["entry.cidr"].push_back(entry.cidr);
    fields["entry.egress"].push_back(entry.egress ? "true" : "false");
    fields["entry.protocol"].push_back(entry.protocol);
    fields["entry.rule-action"].push_back(entry.allow ? "allow" : "deny");
    fields["entry.rule-number"].push_back(std::to_string(entry.rule_number));
    if (entry.icmp_type != -1 || entry.icmp_code != -1) {
      fields["entry.icmp.type"].push_back(std::to_string(entry.icmp_type));
      fields["entry.icmp.code"].push_back(std::to_string(entry.icmp_code));
    }
    if (entry.from_port != -1 || entry.to_port != -1) {
      fields["entry.port-range.from"].push_back(std::to_string(entry.from_port));
      fields["entry.port-range.to"].push_back(std::to_string(entry.to_port));
    }
  }
  add_tag_fields(fields, acl.tags);
  return fields;
}

void render_acl(XmlWriter& out, const model::NetworkAcl& acl) {
  out.text("networkAclId", acl.id).text("vpcId", acl.vpc_id).boolean("default", acl.is_default);
  out.text("ownerId", acl.owner).open("entrySet");
  for (const auto& entry : acl.entries) {
    out.open("item").number("ruleNumber", entry.rule_number).text("protocol", entry.protocol);
    out.text("ruleAction", entry.allow ? "allow" : "deny").boolean("egress", entry.egress);
    out.text("cidrBlock", entry.cidr);
    if (entry.protocol == "1") {
      out.open("icmpTypeCode").number("code", entry.icmp_code).number("type", entry.icmp_type);
      out.close();
    }
    if (entry.protocol == "6" || entry.protocol == "17") {
      out.open("portRange").number("from", entry.from_port).number("to", entry.to_port).close();
    }
    out.close();
  }
  out.close().open("associationSet");
  for (const auto& association : acl.associations) {
    out.open("item").text("networkAclAssociationId", association.id);
    out.text("networkAclId", acl.id).text("subnetId", association.subnet_id).close();
  }
  out.close();
  render_tags(out, acl.tags);
}

Result<std::string> create_acl(ActionContext& ctx) {
  auto vpc_id = ctx.params.required("VpcId");
  if (!vpc_id) return vpc_id.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::create_network_acl(region, ctx.caller, *vpc_id);
    if (!id) return id.error();
    if (auto tagged = tag_new_resource(ctx, region, *id, "network-acl"); !tagged) {
      return tagged.error();
    }
    out.open("networkAcl");
    render_acl(out, region.network_acls.at(*id));
    out.close();
    out.optional("clientToken", ctx.params.get_or("ClientToken", ""));
    return {};
  });
}

Result<model::NetworkAclEntry> parse_entry(const Params& params) {
  model::NetworkAclEntry entry;
  auto number = params.integer("RuleNumber", -1000000, 1000000);
  if (!number) return number.error();
  if (!*number)
    return make_error("MissingParameter", "The request must contain the parameter RuleNumber");
  entry.rule_number = static_cast<int>(**number);
  auto protocol = params.required("Protocol");
  if (!protocol) return protocol.error();
  entry.protocol = *protocol;
  auto action = params.required("RuleAction");
  if (!action) return action.error();
  if (*action != "allow" && *action != "deny") {
    return make_error("InvalidParameterValue",
                      "Value (" + *action + ") for parameter ruleAction is invalid.");
  }
  entry.allow = *action == "allow";
  auto egress = params.boolean("Egress");
  if (!egress) return egress.error();
  entry.egress = egress->value_or(false);
  auto cidr = params.required("CidrBlock");
  if (!cidr) return cidr.error();
  entry.cidr = *cidr;
  for (auto [name, field] :
       {std::pair{"PortRange.From", &entry.from_port}, std::pair{"PortRange.To", &entry.to_port},
        std::pair{"Icmp.Type", &entry.icmp_type}, std::pair{"Icmp.Code", &entry.icmp_code}}) {
    auto value = params.integer(name, -1, 65535);
    if (!value) return value.error();
    *field = static_cast<int>(value->value_or(-1));
  }
  // EC2 requires the ICMP type and code for an ICMP (1) or ICMPv6 (58) entry rather than
  // reading their absence as "all ICMP".
  if (entry.protocol == "1" || entry.protocol == "58" || entry.protocol == "icmp") {
    for (auto [name, shown] : {std::pair{"Icmp.Type", "type"}, std::pair{"Icmp.Code", "code"}}) {
      if (!params.has(name)) {
        return make_error("MissingParameter", std::string("The request must contain the "
                                                          "parameter icmpTypeCode.") +
                                                  shown);
      }
    }
  }
  return entry;
}

ActionHandler change_entry(bool replace) {
  return returning_true([replace](ActionContext& ctx, Region& region) -> Result<void> {
    auto acl_id = ctx.params.required("NetworkAclId");
    if (!acl_id) return acl_id.error();
    auto entry = parse_entry(ctx.params);
    if (!entry) return entry.error();
    return model::create_network_acl_entry(region, ctx.caller, *acl_id, *entry, replace);
  });
}

Result<std::string> replace_association(ActionContext& ctx) {
  auto association_id = ctx.params.required("AssociationId");
  if (!association_id) return association_id.error();
  auto acl_id = ctx.params.required("NetworkAclId");
  if (!acl_id) return acl_id.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::replace_network_acl_association(region, ctx.caller, *association_id, *acl_id);
    if (!id) return id.error();
    out.text("newAssociationId", *id);
    return {};
  });
}

Result<std::string> describe_acls(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  return describe<model::NetworkAcl>(
      ctx, (*region)->network_acls,
      {"NetworkAclId", "networkAclSet", "InvalidNetworkAclID.NotFound", "network ACL", acl_fields,
       render_acl, nullptr, &**region, model::kNetworkAclKind, "network-acl-id"});
}

}  // namespace

void register_network_acl_actions(ActionTable& table) {
  table["CreateNetworkAcl"] = create_acl;
  table["DeleteNetworkAcl"] =
      returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
        auto id = ctx.params.required("NetworkAclId");
        if (!id) return id.error();
        return model::delete_network_acl(region, ctx.caller, *id);
      });
  table["DescribeNetworkAcls"] = describe_acls;
  table["CreateNetworkAclEntry"] = change_entry(false);
  table["ReplaceNetworkAclEntry"] = change_entry(true);
  table["DeleteNetworkAclEntry"] = returning_true([](ActionContext& ctx,
                                                     Region& region) -> Result<void> {
    auto id = ctx.params.required("NetworkAclId");
    if (!id) return id.error();
    auto number = ctx.params.integer("RuleNumber", -1000000, 1000000);
    if (!number) return number.error();
    auto egress = ctx.params.boolean("Egress");
    if (!egress) return egress.error();
    return model::delete_network_acl_entry(
        region, ctx.caller, *id, static_cast<int>(number->value_or(0)), egress->value_or(false));
  });
  table["ReplaceNetworkAclAssociation"] = replace_association;
}

}  // namespace openvpc::api
