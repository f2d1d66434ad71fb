#include "agent/inflight_budget.hpp"

#include <utility>

namespace rpclb::agent {

// Shared by the budget and every Held, so a reply ZeroMQ frees after the
// agent has gone still has somewhere to return its bytes.
struct InflightBudget::Held::Counts {
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> peak{0};     // the most held since take_peak()
  std::atomic<std::uint64_t> holding{0};  // connections holding any bytes
};

InflightBudget::Held::Held(std::shared_ptr<Counts> counts, std::shared_ptr<std::atomic<std::uint64_t>> connection,
                           std::uint64_t bytes)
    : counts_(std::move(counts)), connection_(std::move(connection)), bytes_(bytes) {
  if (bytes_ == 0) return;
  const std::uint64_t now = counts_->bytes.fetch_add(bytes_) + bytes_;
  for (auto peak = counts_->peak.load(); now > peak && !counts_->peak.compare_exchange_weak(peak, now);) {
  }
  // The one that takes a connection from nothing counts it as holding.
  if (connection_->fetch_add(bytes_) == 0) counts_->holding.fetch_add(1);
}

InflightBudget::Held::Held(Held&& other) noexcept
    : counts_(std::move(other.counts_)),
      connection_(std::move(other.connection_)),
      bytes_(std::exchange(other.bytes_, 0)) {}

InflightBudget::Held& InflightBudget::Held::operator=(Held&& other) noexcept {
  if (this != &other) {
    release();
    counts_ = std::move(other.counts_);
    connection_ = std::move(other.connection_);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void InflightBudget::Held::release() {
  if (!counts_) return;
  if (bytes_ > 0) {
    counts_->bytes.fetch_sub(bytes_);
    // The one that takes a connection back to nothing counts it as no longer holding.
    if (connection_->fetch_sub(bytes_) == bytes_) counts_->holding.fetch_sub(1);
  }
  counts_.reset();
  connection_.reset();
  bytes_ = 0;
}

InflightBudget::InflightBudget(std::uint64_t limit) : limit_(limit), counts_(std::make_shared<Held::Counts>()) {}

InflightBudget::Admission InflightBudget::admit(std::string_view connection, std::uint64_t bytes) {
  if (counts_->bytes.load() + bytes > limit_) return {Verdict::over_budget, {}};
  // One look-up: the entry found is the one the request is counted against.
  const auto found = connections_.find(connection);
  const std::uint64_t own = found == connections_.end() ? 0 : found->second.bytes->load();
  std::uint64_t holding = counts_->holding.load();
  if (own == 0) ++holding;  // the asking connection is one of those who would hold
  if (own + bytes <= share(holding)) {
    const auto counted = found == connections_.end() ? add_connection(connection) : found;
    return {Verdict::fits, Held(counts_, counted->second.bytes, bytes)};
  }
  if (found != connections_.end()) found->second.refused_for_share = true;
  return {Verdict::over_share, {}};
}

InflightBudget::Held InflightBudget::hold(std::string_view connection, std::uint64_t bytes) {
  auto found = connections_.find(connection);
  if (found == connections_.end()) found = add_connection(connection);
  return Held(counts_, found->second.bytes, bytes);
}

InflightBudget::ByConnection::iterator InflightBudget::add_connection(std::string_view connection) {
  return connections_.emplace(std::string(connection), Connection{std::make_shared<std::atomic<std::uint64_t>>(0)})
      .first;
}

std::uint64_t InflightBudget::held() const {
  return counts_->bytes.load();
}

std::uint64_t InflightBudget::take_peak() {
  return counts_->peak.exchange(counts_->bytes.load());
}

std::uint64_t InflightBudget::connections_at_share() const {
  return at_share_.load();
}

void InflightBudget::sweep() {
  std::uint64_t at_share = 0;
  for (auto it = connections_.begin(); it != connections_.end();) {
    auto& [bytes, refused] = it->second;
    if (std::exchange(refused, false)) ++at_share;
    // Nothing held, and no Held left that could add to it: forgotten.
    if (bytes->load() == 0 && bytes.use_count() == 1) {
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
  at_share_.store(at_share);
}

}  // namespace rpclb::agent
