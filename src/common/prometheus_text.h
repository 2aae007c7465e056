// prometheus_text.h — writes the Prometheus text exposition format 0.0.4 (what /metrics serves).
//
// PrometheusText builds one exposition: family() opens a metric family and writes its `# HELP`
// and `# TYPE` lines, then sample() adds its series. The writer keeps the format's rules so
// callers cannot break them: a family is opened once (a second family() of the same name is
// ignored, its samples join the first), help text escapes `\` and newlines, label values
// escape `\`, `"` and newlines, integers print exactly, doubles with round-trip precision and
// +Inf/-Inf/NaN spelled as the format wants. Names are the caller's contract (they must match
// [a-zA-Z_:][a-zA-Z0-9_:]*; counters end in _total); tests check that with a strict parser.
// Header-only so that every daemon (router, controller) shares it without a library.
// Not thread-safe: one writer per exposition.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace openvpc {

class PrometheusText {
 public:
  enum class Type { counter, gauge, histogram };
  using Label = std::pair<std::string_view, std::string_view>;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  void family(std::string_view name, Type type, std::string_view help) {
    if (!families_.emplace(name).second) return;
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    for (char ch : help) {
      if (ch == '\\') {
        text_ += "\\\\";
      } else if (ch == '\n') {
        text_ += "\\n";
      } else {
        text_ += ch;
      }
    }
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += type == Type::counter ? " counter\n"
             : type == Type::gauge ? " gauge\n"
                                   : " histogram\n";
  }

  void sample(std::string_view name, std::initializer_list<Label> labels, uint64_t value) {
    open_sample(name, labels);
    text_ += std::to_string(value);
    text_ += '\n';
  }
  void sample(std::string_view name, std::initializer_list<Label> labels, double value) {
    open_sample(name, labels);
    text_ += format_double(value);
    text_ += '\n';
  }

  // "+Inf", "-Inf", "NaN", or the shortest text that reads back as the same double.
  static std::string format_double(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[32];
    for (int precision = 6; precision <= 17; ++precision) {
      std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
      if (std::strtod(buffer, nullptr) == value) break;
    }
    return buffer;
  }

  const std::string& text() const { return text_; }
  std::string take() { return std::move(text_); }

 private:
  void open_sample(std::string_view name, std::initializer_list<Label> labels) {
    text_ += name;
    if (labels.size() > 0) {
      text_ += '{';
      bool first = true;
      for (const auto& [label, value] : labels) {
        if (!first) text_ += ',';
        first = false;
        text_ += label;
        text_ += "=\"";
        for (char ch : value) {
          if (ch == '\\') {
            text_ += "\\\\";
          } else if (ch == '"') {
            text_ += "\\\"";
          } else if (ch == '\n') {
            text_ += "\\n";
          } else {
            text_ += ch;
          }
        }
        text_ += '"';
      }
      text_ += '}';
    }
    text_ += ' ';
  }

  std::string text_;
  std::set<std::string, std::less<>> families_;
};

}  // namespace openvpc
