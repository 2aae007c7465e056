// health_matcher.h — the two small parsers of an HTTP health check (health_prober.h): the
// target group's Matcher (HttpCode) and the status line of a target's response.
//
// HttpMatcher::parse() reads Elastic Load Balancing's HttpCode syntax: a comma-separated list of
// codes and inclusive ranges ("200", "200-399", "200,202", "200,300-399"), codes 100..599,
// blanks around items allowed. Empty text is the default, 200-399. Anything else is nullopt
// (the controller refuses it; the prober then uses the default).
//
// parse_status_line() reads the first bytes of a response: "HTTP/" DIGIT ["." DIGIT] SP
// 3DIGIT followed by SP, CR or LF (RFC 9112 §4; lenient on the version). It needs at most
// kStatusLinePrefix bytes; with fewer it answers need_more unless `complete` (the response
// ended), when it decides on what it has. Both never read outside what they are given and
// never allocate: the status line comes from untrusted targets (tests/fuzz/fuzz_health_reply).
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace openvpc::hyperplane {

class HttpMatcher {
 public:
  static constexpr int kMinCode = 100;
  static constexpr int kMaxCode = 599;

  // 200-399.
  HttpMatcher() {
    for (int code = 200; code <= 399; ++code) codes_.set(size_t(code));
  }

  static std::optional<HttpMatcher> parse(std::string_view text) {
    if (trim(text).empty()) return HttpMatcher{};
    HttpMatcher matcher;
    matcher.codes_.reset();
    while (true) {
      const size_t comma = text.find(',');
      const std::string_view item = trim(text.substr(0, comma));
      const size_t dash = item.find('-');
      const std::optional<int> low = code_of(trim(item.substr(0, dash)));
      const std::optional<int> high =
          dash == std::string_view::npos ? low : code_of(trim(item.substr(dash + 1)));
      if (!low || !high || *high < *low) return std::nullopt;
      for (int code = *low; code <= *high; ++code) matcher.codes_.set(size_t(code));
      if (comma == std::string_view::npos) break;
      text.remove_prefix(comma + 1);
    }
    return matcher;
  }

  bool matches(int code) const {
    return code >= kMinCode && code <= kMaxCode && codes_.test(size_t(code));
  }

  bool operator==(const HttpMatcher&) const = default;

 private:
  static std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }
  static std::optional<int> code_of(std::string_view s) {
    if (s.size() != 3) return std::nullopt;
    int code = 0;
    for (const char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      code = code * 10 + (c - '0');
    }
    if (code < kMinCode || code > kMaxCode) return std::nullopt;
    return code;
  }

  std::bitset<kMaxCode + 1> codes_;
};

// "HTTP/1.1 200 " is the longest prefix parse_status_line() looks at.
inline constexpr size_t kStatusLinePrefix = 13;

struct StatusLine {
  enum class Result : uint8_t { need_more, invalid, code };
  Result result = Result::need_more;
  int code = 0;  // 100..999 with Result::code
};

inline StatusLine parse_status_line(const uint8_t* data, size_t size, bool complete) {
  using R = StatusLine::Result;
  const auto need = [&](size_t n) { return size < n; };
  const auto more = [&]() { return StatusLine{complete ? R::invalid : R::need_more, 0}; };
  const auto is_digit = [](uint8_t c) { return c >= '0' && c <= '9'; };
  static constexpr char kName[] = "HTTP/";
  size_t i = 0;
  for (; i < 5; ++i) {
    if (need(i + 1)) return more();
    if (data[i] != uint8_t(kName[i])) return {R::invalid, 0};
  }
  if (need(i + 1)) return more();
  if (!is_digit(data[i++])) return {R::invalid, 0};
  if (need(i + 1)) return more();
  if (data[i] == '.') {
    ++i;
    if (need(i + 1)) return more();
    if (!is_digit(data[i++])) return {R::invalid, 0};
    if (need(i + 1)) return more();
  }
  if (data[i++] != ' ') return {R::invalid, 0};
  int code = 0;
  for (int digit = 0; digit < 3; ++digit, ++i) {
    if (need(i + 1)) return more();
    if (!is_digit(data[i])) return {R::invalid, 0};
    code = code * 10 + (data[i] - '0');
  }
  if (code < 100) return {R::invalid, 0};
  if (need(i + 1)) return complete ? StatusLine{R::code, code} : StatusLine{R::need_more, 0};
  if (data[i] != ' ' && data[i] != '\r' && data[i] != '\n') return {R::invalid, 0};
  return {R::code, code};
}

}  // namespace openvpc::hyperplane
