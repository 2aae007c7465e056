// port_rules.h — the rules (security-group rules, network-ACL entries) a TCP or UDP packet can
// match, compiled for a new flow's check.
//
// A policy keeps, per direction and for TCP and for UDP, the rules that can match such a
// packet (all-protocols or that protocol, a non-empty port range) in their order: the check
// skips other protocols' rules and the per-rule protocol switch. The destination ports of
// eight rules are tested at once (SSE2: port - first <= span, 16-bit, unsigned), and only the
// rules whose ports match are read for their prefix — a policy of 50 single-port rules costs
// a few instructions per eight rules instead of per rule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dataplane/prefix.h"
#include "packet/parser.h"

namespace openvpc::dataplane {

struct PortRule {
  Prefix prefix;
  uint16_t port_first = 0;
  uint16_t port_span = 0;   // dst_port - port_first <= port_span (16-bit arithmetic)
  int32_t member_set = -1;  // security groups: as CompiledSecurityGroupRule::member_set
  uint32_t index = 0;       // the rule's position in its policy's list for the direction

  bool port_matches(uint16_t port) const { return uint16_t(port - port_first) <= port_span; }
};

// 0 for TCP, 1 for UDP, -1 for another protocol (the slot of the per-protocol lists).
inline int port_protocol_slot(uint8_t protocol) {
  return protocol == packet::kProtoTcp ? 0 : protocol == packet::kProtoUdp ? 1 : -1;
}

class PortRuleList {
 public:
  void clear() {
    rules_.clear();
    firsts_.clear();
    spans_.clear();
  }
  void push_back(const PortRule& rule) {
    rules_.push_back(rule);
    if (rules_.size() > firsts_.size()) {  // padded with zeros to a multiple of 8 (masked off)
      firsts_.resize(firsts_.size() + 8, 0);
      spans_.resize(spans_.size() + 8, 0);
    }
    firsts_[rules_.size() - 1] = rule.port_first;
    spans_[rules_.size() - 1] = rule.port_span;
  }
  size_t size() const { return rules_.size(); }

  // Calls visit(rule) for each rule whose ports contain `port`, in order, until it returns
  // true.
  template <class Visit>
  void visit_port_matches(uint16_t port, Visit&& visit) const {
#if defined(__SSE2__)
    const __m128i p = _mm_set1_epi16(int16_t(port));
    for (size_t i = 0; i < rules_.size(); i += 8) {
      const __m128i first = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&firsts_[i]));
      const __m128i span = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&spans_[i]));
      const __m128i over = _mm_subs_epu16(_mm_sub_epi16(p, first), span);  // 0: in range
      uint32_t bits = uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi16(over, _mm_setzero_si128())));
      bits &= 0x5555u;  // one bit per rule
      const size_t left = rules_.size() - i;
      if (left < 8) bits &= (1u << (2 * left)) - 1;
      for (; bits != 0; bits &= bits - 1) {
        if (visit(rules_[i + size_t(__builtin_ctz(bits)) / 2])) return;
      }
    }
#else
    for (const PortRule& rule : rules_) {
      if (rule.port_matches(port) && visit(rule)) return;
    }
#endif
  }

 private:
  std::vector<PortRule> rules_;
  std::vector<uint16_t> firsts_;  // rules_' port_first and port_span, padded to a multiple of 8
  std::vector<uint16_t> spans_;
};

}  // namespace openvpc::dataplane
