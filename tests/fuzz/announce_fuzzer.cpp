// libFuzzer target: a bus hub's announce path (admit), fed a stream of frames
// as anyone on the network could send them. Whatever arrives, the view stays
// within its limits, holds only valid members, keeps its byte count true, and
// every group's snapshot fits in one frame.
//
// Input: frames, each a 2-byte little-endian length then that many bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "agent/bus_hub.hpp"
#include "common/member_rules.hpp"

namespace {

void check(const rpclb::MembershipView& view, const rpclb::MembershipLimits& limits) {
  if (view.size() > limits.max_members || view.bytes() > limits.max_bytes) std::abort();
  std::size_t bytes = 0;
  for (const auto& member : view.members()) {
    if (!rpclb::validate_member(member)) std::abort();
    bytes += rpclb::member_footprint(member);
    for (const auto& group : member.groups) {
      const auto snapshot = rpclb::protocol::encode(rpclb::protocol::Snapshot{view.members(group)});
      if (snapshot.size() > rpclb::protocol::kMaxFrameBytes) std::abort();
    }
  }
  if (bytes != view.bytes()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Small limits, so that inputs can reach "full".
  const rpclb::MembershipLimits limits{8, 4096};
  rpclb::MembershipView view(3, limits);
  auto now = rpclb::Clock::now();
  std::size_t offset = 0;
  while (offset + 2 <= size) {
    const std::size_t length = data[offset] | (std::size_t{data[offset + 1]} << 8);
    offset += 2;
    const auto take = std::min(length, size - offset);
    std::vector<zmq::message_t> parts;
    parts.emplace_back(data + offset, take);
    offset += take;
    const auto admission = rpclb::agent::admit(view, parts, now);
    const bool changed = admission.kind == rpclb::agent::Admission::Kind::joined ||
                         admission.kind == rpclb::agent::Admission::Kind::updated ||
                         admission.kind == rpclb::agent::Admission::Kind::left;
    if (changed != admission.change.has_value()) std::abort();
    if (admission.kind == rpclb::agent::Admission::Kind::dropped && admission.error.empty()) std::abort();
    now += std::chrono::milliseconds(take);  // time passes, so members also expire
    view.expire(now);
    check(view, limits);
  }
  return 0;
}
