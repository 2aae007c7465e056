// Route table actions: Create/Delete/DescribeRouteTables, Associate/Disassociate/
// ReplaceRouteTableAssociation, Create/Replace/DeleteRoute.
#include "api/action.h"

namespace openvpc::api {

namespace {

using model::Region;

// "active", or "blackhole" for a route whose target is gone, detached or stopped.
std::string route_state(const Region& region, const model::RouteTable& table,
                        const model::Route& route) {
  return model::route_active(region, table, route) ? "active" : "blackhole";
}

FilterFields route_table_fields(const Region& region, const model::RouteTable& table) {
  // Gateway (edge) associations, IPv6, prefix-list, egress-only, transit and peering routes do
  // not exist here: their documented filters are known and match nothing.
  FilterFields fields{{"association.route-table-association-id", {}},
                      {"association.gateway-id", {}},
                      {"route.destination-ipv6-cidr-block", {}},
                      {"route.destination-prefix-list-id", {}},
                      {"route.egress-only-internet-gateway-id", {}},
                      {"route.transit-gateway-id", {}},
                      {"route.vpc-peering-connection-id", {}},
                      {"association.route-table-id", {}},
                      {"association.subnet-id", {}},
                      {"association.main", {}},
                      {"owner-id", {table.owner}},
                      {"route-table-id", {table.id}},
                      {"route.destination-cidr-block", {}},
                      {"route.gateway-id", {}},
                      {"route.instance-id", {}},
                      {"route.nat-gateway-id", {}},
                      {"route.network-interface-id", {}},
                      {"route.origin", {}},
                      {"route.state", {}},
                      {"vpc-id", {table.vpc_id}}};
  for (const auto& association : table.associations) {
    fields["association.route-table-association-id"].push_back(association.id);
    fields["association.route-table-id"].push_back(table.id);
    if (!association.subnet_id.empty()) {
      fields["association.subnet-id"].push_back(association.subnet_id);
    }
    fields["association.main"].push_back(association.main ? "true" : "false");
  }
  for (const auto& route : table.routes) {
    fields["route.destination-cidr-block"].push_back(route.destination_cidr);
    if (!route.gateway_id.empty()) fields["route.gateway-id"].push_back(route.gateway_id);
    if (!route.instance_id.empty()) fields["route.instance-id"].push_back(route.instance_id);
    if (!route.nat_gateway_id.empty()) {
      fields["route.nat-gateway-id"].push_back(route.nat_gateway_id);
    }
    if (!route.network_interface_id.empty()) {
      fields["route.network-interface-id"].push_back(route.network_interface_id);
    }
    fields["route.origin"].push_back(route.origin);
    fields["route.state"].push_back(route_state(region, table, route));
  }
  add_tag_fields(fields, table.tags);
  return fields;
}

void render_route_table(XmlWriter& out, const Region& region, const model::RouteTable& table) {
  out.text("routeTableId", table.id).text("vpcId", table.vpc_id).text("ownerId", table.owner);
  out.open("routeSet");
  for (const auto& route : table.routes) {
    out.open("item").text("destinationCidrBlock", route.destination_cidr);
    out.optional("gatewayId", route.gateway_id);
    out.optional("networkInterfaceId", route.network_interface_id);
    out.optional("instanceId", route.instance_id);
    out.optional("natGatewayId", route.nat_gateway_id);
    out.text("state", route_state(region, table, route)).text("origin", route.origin).close();
  }
  out.close().open("associationSet");
  for (const auto& association : table.associations) {
    out.open("item").text("routeTableAssociationId", association.id);
    out.text("routeTableId", table.id).optional("subnetId", association.subnet_id);
    out.boolean("main", association.main);
    out.open("associationState").text("state", "associated").close().close();
  }
  out.close().open("propagatingVgwSet").close();
  render_tags(out, table.tags);
}

Result<std::string> create_route_table(ActionContext& ctx) {
  auto vpc_id = ctx.params.required("VpcId");
  if (!vpc_id) return vpc_id.error();
  model::Tags tags = ctx.tag_specifications("route-table");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::create_route_table(region, ctx.caller, *vpc_id);
    if (!id) return id.error();
    if (!tags.empty()) {
      if (auto tagged = model::create_tags(region, ctx.caller, {*id}, tags); !tagged) {
        return tagged.error();
      }
    }
    out.open("routeTable");
    render_route_table(out, region, region.route_tables.at(*id));
    out.close();
    out.optional("clientToken", ctx.params.get_or("ClientToken", ""));
    return {};
  });
}

Result<std::string> describe_route_tables(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  const Region& snapshot = **region;
  return describe<model::RouteTable>(
      ctx, snapshot.route_tables,
      {"RouteTableId", "routeTableSet", "InvalidRouteTableID.NotFound", "route table",
       [&](const model::RouteTable& table) { return route_table_fields(snapshot, table); },
       [&](XmlWriter& out, const model::RouteTable& table) {
         render_route_table(out, snapshot, table);
       },
       nullptr, &snapshot, model::kRouteTableKind, "route-table-id"});
}

Result<std::string> associate_route_table(ActionContext& ctx) {
  auto table_id = ctx.params.required("RouteTableId");
  if (!table_id) return table_id.error();
  auto subnet_id = ctx.params.required("SubnetId");
  if (!subnet_id) return subnet_id.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::associate_route_table(region, ctx.caller, *table_id, *subnet_id);
    if (!id) return id.error();
    out.text("associationId", *id);
    out.open("associationState").text("state", "associated").close();
    return {};
  });
}

Result<std::string> replace_route_table_association(ActionContext& ctx) {
  auto association_id = ctx.params.required("AssociationId");
  if (!association_id) return association_id.error();
  auto table_id = ctx.params.required("RouteTableId");
  if (!table_id) return table_id.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id =
        model::replace_route_table_association(region, ctx.caller, *association_id, *table_id);
    if (!id) return id.error();
    out.text("newAssociationId", *id);
    out.open("associationState").text("state", "associated").close();
    return {};
  });
}

Result<void> change_route(ActionContext& ctx, Region& region, bool replace) {
  auto table_id = ctx.params.required("RouteTableId");
  if (!table_id) return table_id.error();
  auto destination = ctx.params.required("DestinationCidrBlock");
  if (!destination) return destination.error();
  model::RouteTarget target{
      ctx.params.get_or("GatewayId", ""), ctx.params.get_or("NetworkInterfaceId", ""),
      ctx.params.get_or("InstanceId", ""), ctx.params.get_or("NatGatewayId", "")};
  return model::create_route(region, ctx.caller, *table_id, *destination, target, replace);
}

}  // namespace

void register_route_table_actions(ActionTable& table) {
  table["CreateRouteTable"] = create_route_table;
  table["DescribeRouteTables"] = describe_route_tables;
  table["DeleteRouteTable"] =
      returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
        auto id = ctx.params.required("RouteTableId");
        if (!id) return id.error();
        return model::delete_route_table(region, ctx.caller, *id);
      });
  table["AssociateRouteTable"] = associate_route_table;
  table["DisassociateRouteTable"] =
      returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
        auto id = ctx.params.required("AssociationId");
        if (!id) return id.error();
        return model::disassociate_route_table(region, ctx.caller, *id);
      });
  table["ReplaceRouteTableAssociation"] = replace_route_table_association;
  table["CreateRoute"] = returning_true(
      [](ActionContext& ctx, Region& region) { return change_route(ctx, region, false); });
  table["ReplaceRoute"] = returning_true(
      [](ActionContext& ctx, Region& region) { return change_route(ctx, region, true); });
  table["DeleteRoute"] = returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
    auto id = ctx.params.required("RouteTableId");
    if (!id) return id.error();
    auto destination = ctx.params.required("DestinationCidrBlock");
    if (!destination) return destination.error();
    return model::delete_route(region, ctx.caller, *id, *destination);
  });
}

}  // namespace openvpc::api
