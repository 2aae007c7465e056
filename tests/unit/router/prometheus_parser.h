// prometheus_parser.h — a strict reader of the Prometheus text format 0.0.4, for tests.
//
// parse_prometheus() accepts only what a careful exporter writes and says why it refuses:
// names and label names by the format's grammar, label values with only \\, \" and \n
// escapes, HELP and TYPE at most once per family and before its samples, every sample in a
// TYPEd family and its family's lines contiguous, no duplicate series, counters named *_total
// with non-negative values, histograms with le buckets that are cumulative and end in +Inf
// equal to _count. Samples come back keyed by `name{label="value",...}` (labels sorted,
// values escaped as on the page).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace openvpc::testing {

struct PrometheusPage {
  std::map<std::string, double> samples;     // series key -> value
  std::map<std::string, std::string> types;  // family -> counter|gauge|histogram
  std::string error;                         // empty when the page is valid
  double at(const std::string& key) const {
    auto it = samples.find(key);
    return it == samples.end() ? std::nan("") : it->second;
  }
};

namespace prometheus_detail {

inline bool name_start(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
inline bool name_char(char c, bool colon) {
  return name_start(c, colon) || (c >= '0' && c <= '9');
}
inline size_t read_name(const std::string& s, size_t at, bool colon) {
  if (at >= s.size() || !name_start(s[at], colon)) return std::string::npos;
  size_t end = at + 1;
  while (end < s.size() && name_char(s[end], colon)) ++end;
  return end;
}
inline bool read_value(const std::string& text, double& value) {
  if (text == "+Inf") return value = INFINITY, true;
  if (text == "-Inf") return value = -INFINITY, true;
  if (text == "NaN") return value = NAN, true;
  if (text.empty()) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && text.find_first_of("xXiInN") == std::string::npos;
}

}  // namespace prometheus_detail

inline PrometheusPage parse_prometheus(const std::string& text) {
  using namespace prometheus_detail;
  PrometheusPage page;
  std::set<std::string> helped, closed, sampled;
  std::string current;  // family whose lines we are in
  std::map<std::string, std::vector<std::pair<std::string, double>>> buckets;  // per series
  auto fail = [&](size_t line, const std::string& why) {
    page.error = "line " + std::to_string(line) + ": " + why;
    return page;
  };
  auto enter = [&](const std::string& family) -> bool {
    if (family == current) return true;
    if (!current.empty()) closed.insert(current);
    if (closed.count(family)) return false;
    current = family;
    return true;
  };
  if (!text.empty() && text.back() != '\n') return fail(0, "the page must end with a newline");
  std::istringstream in(text);
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name;
      words >> hash >> kind >> name;
      if (kind != "HELP" && kind != "TYPE") continue;  // a plain comment
      if (read_name(name, 0, true) != name.size()) return fail(number, "bad name " + name);
      if (!enter(name)) return fail(number, name + " is not contiguous");
      if (sampled.count(name)) return fail(number, kind + " of " + name + " after its samples");
      if (kind == "HELP") {
        if (!helped.insert(name).second) return fail(number, "second HELP for " + name);
        continue;
      }
      std::string type, rest;
      words >> type;
      if (words >> rest) return fail(number, "junk after TYPE");
      if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
          type != "untyped") {
        return fail(number, "unknown type " + type);
      }
      if (!page.types.emplace(name, type).second) return fail(number, "second TYPE for " + name);
      if (type == "counter" && (name.size() < 6 || name.substr(name.size() - 6) != "_total")) {
        return fail(number, "counter " + name + " does not end in _total");
      }
      continue;
    }
    size_t at = read_name(line, 0, true);
    if (at == std::string::npos) return fail(number, "bad metric name");
    const std::string name = line.substr(0, at);
    std::vector<std::pair<std::string, std::string>> labels;
    if (at < line.size() && line[at] == '{') {
      ++at;
      while (at < line.size() && line[at] != '}') {
        const size_t end = read_name(line, at, false);
        if (end == std::string::npos) return fail(number, "bad label name");
        const std::string label = line.substr(at, end - at);
        if (end + 1 >= line.size() || line[end] != '=' || line[end + 1] != '"') {
          return fail(number, "label " + label + " without =\"");
        }
        std::string value;
        size_t i = end + 2;
        for (; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] != '\\') {
            value += line[i];
            continue;
          }
          if (++i >= line.size()) return fail(number, "dangling escape");
          if (line[i] == 'n') {
            value += '\n';
          } else if (line[i] == '\\' || line[i] == '"') {
            value += line[i];
          } else {
            return fail(number, std::string("bad escape \\") + line[i]);
          }
        }
        if (i >= line.size()) return fail(number, "unterminated label value");
        for (const auto& [seen, unused] : labels) {
          if (seen == label) return fail(number, "label " + label + " twice");
        }
        labels.emplace_back(label, value);
        at = i + 1;
        if (at < line.size() && line[at] == ',') ++at;
      }
      if (at >= line.size()) return fail(number, "unterminated label set");
      ++at;
    }
    if (at >= line.size() || line[at] != ' ') return fail(number, "no space before the value");
    std::string value_text = line.substr(at + 1), timestamp;
    if (const size_t space = value_text.find(' '); space != std::string::npos) {
      timestamp = value_text.substr(space + 1);
      value_text.resize(space);
      if (timestamp.empty() || timestamp.find_first_not_of("-0123456789") != std::string::npos)
        return fail(number, "bad timestamp");
    }
    double value = 0;
    if (!read_value(value_text, value)) return fail(number, "bad value '" + value_text + "'");
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (name.size() > s.size() && name.substr(name.size() - s.size()) == s) {
        const std::string base = name.substr(0, name.size() - s.size());
        if (page.types.count(base) && page.types[base] == "histogram") family = base;
      }
    }
    if (!page.types.count(family)) return fail(number, name + " has no TYPE before it");
    if (!enter(family)) return fail(number, family + " is not contiguous");
    sampled.insert(family);
    const std::string& type = page.types[family];
    if (type == "counter" && !(value >= 0)) return fail(number, "counter below zero or NaN");
    std::string le;
    std::sort(labels.begin(), labels.end());
    std::string key = name, series = name;  // series: without le, for histogram checks
    if (!labels.empty()) {
      key += '{';
      series += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        std::string escaped;  // keys spell values as the format does
        for (char c : labels[i].second) {
          escaped += c == '\n'                 ? std::string("\\n")
                     : (c == '\\' || c == '"') ? std::string("\\") + c
                                               : std::string(1, c);
        }
        const std::string pair = labels[i].first + "=\"" + escaped + "\"";
        key += (i ? "," : "") + pair;
        if (labels[i].first == "le") {
          le = labels[i].second;
        } else {
          series += (series.back() == '{' ? "" : ",") + pair;
        }
      }
      key += '}';
      series += '}';
    }
    if (!page.samples.emplace(key, value).second) return fail(number, "duplicate " + key);
    if (type == "histogram" && name == family + "_bucket") {
      if (le.empty()) return fail(number, "bucket without le");
      buckets[series].emplace_back(le, value);
    }
  }
  for (const auto& [series, list] : buckets) {
    double previous = 0;
    for (const auto& [le, count] : list) {
      if (count < previous) return fail(0, series + ": buckets not cumulative");
      previous = count;
    }
    if (list.back().first != "+Inf") return fail(0, series + ": last bucket is not +Inf");
    std::string count_key = series;
    count_key.replace(count_key.find("_bucket"), 7, "_count");
    if (page.at(count_key) != list.back().second) return fail(0, series + ": +Inf != _count");
  }
  return page;
}

}  // namespace openvpc::testing
