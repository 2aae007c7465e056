// views.h — how the CLI shows resources: the columns of each tenant verb, taken from the EC2
// response items, printed as an aligned table or as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/xml_reader.h"

namespace openvpc::cli {

struct Column {
  std::string header;  // also the JSON key
  std::string path;    // XML path inside an item, or "tag:KEY"
};

struct View {
  std::string action;     // e.g. "DescribeVpcs"
  std::string set_name;   // e.g. "vpcSet"
  std::string item_path;  // for nested items ("instancesSet" inside reservations), or ""
  std::vector<Column> columns;
};

// The views for "vpcs", "subnets", "instances", "security-groups"; nullptr for others.
const View* find_view(const std::string& verb);
std::vector<std::vector<std::string>> rows_of(const View& view, const std::vector<XmlNode>& items);
std::string format_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows);
nlohmann::json rows_to_json(const View& view, const std::vector<std::vector<std::string>>& rows);

}  // namespace openvpc::cli
