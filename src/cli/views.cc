#include "cli/views.h"

#include <algorithm>
#include <map>

namespace openvpc::cli {

namespace {

std::string cell(const XmlNode& item, const std::string& path) {
  if (path.rfind("tag:", 0) == 0) {
    for (const XmlNode* tag : item.items("tagSet")) {
      if (tag->text_at("key") == path.substr(4)) return tag->text_at("value");
    }
    return "";
  }
  return item.text_at(path);
}

}  // namespace

const View* find_view(const std::string& verb) {
  static const std::map<std::string, View> kViews = {
      {"vpcs",
       {"DescribeVpcs",
        "vpcSet",
        "",
        {{"VpcId", "vpcId"},
         {"Name", "tag:Name"},
         {"CidrBlock", "cidrBlock"},
         {"State", "state"},
         {"DhcpOptionsId", "dhcpOptionsId"}}}},
      {"subnets",
       {"DescribeSubnets",
        "subnetSet",
        "",
        {{"SubnetId", "subnetId"},
         {"Name", "tag:Name"},
         {"VpcId", "vpcId"},
         {"CidrBlock", "cidrBlock"},
         {"AvailabilityZone", "availabilityZone"},
         {"AvailableIps", "availableIpAddressCount"}}}},
      {"instances",
       {"DescribeInstances",
        "reservationSet",
        "instancesSet",
        {{"InstanceId", "instanceId"},
         {"Name", "tag:Name"},
         {"State", "instanceState/name"},
         {"SubnetId", "subnetId"},
         {"PrivateIp", "privateIpAddress"},
         {"PublicIp", "ipAddress"},
         {"HostId", "placement/hostId"}}}},
      {"security-groups",
       {"DescribeSecurityGroups",
        "securityGroupInfo",
        "",
        {{"GroupId", "groupId"},
         {"GroupName", "groupName"},
         {"VpcId", "vpcId"},
         {"Description", "groupDescription"}}}},
  };
  auto it = kViews.find(verb);
  return it == kViews.end() ? nullptr : &it->second;
}

std::vector<std::vector<std::string>> rows_of(const View& view, const std::vector<XmlNode>& items) {
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const XmlNode& item) {
    std::vector<std::string> row;
    for (const auto& column : view.columns) row.push_back(cell(item, column.path));
    rows.push_back(std::move(row));
  };
  for (const auto& item : items) {
    if (view.item_path.empty()) {
      add(item);
    } else {
      for (const XmlNode* nested : item.items(view.item_path)) add(*nested);
    }
  }
  return rows;
}

std::string format_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& header : headers) widths.push_back(header.size());
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(widths[i] - cells[i].size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers);
  for (const auto& row : rows) out += line(row);
  return out;
}

nlohmann::json rows_to_json(const View& view, const std::vector<std::vector<std::string>>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows) {
    nlohmann::json object = nlohmann::json::object();
    for (size_t i = 0; i < view.columns.size(); ++i) object[view.columns[i].header] = row[i];
    out.push_back(object);
  }
  return out;
}

}  // namespace openvpc::cli
