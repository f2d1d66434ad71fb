// InflightBudget: the agent's memory budget for calls (--max-inflight-bytes).
// It counts the bytes of requests read and not yet answered, and of replies
// ZeroMQ has not yet written out to their caller's connection, in total and
// by connection, and says whether one more request fits.
//
// Why the agent refuses rather than stops reading: ZeroMQ's high-water
// marks count messages, not bytes (a message may be 8 MiB), and a ROUTER
// cannot pause one connection while it reads the others. So the agent reads
// every connection as fast as it can, which keeps ZeroMQ's own queues short,
// and holds what it reads against this budget: a request that does not fit
// is answered "at capacity" at once and freed, nothing run.
//
// A reply is counted until ZeroMQ frees it, which it does once it has
// written it to the connection, or dropped it with the connection: a caller
// that does not read keeps its replies counted, and so soon holds its share.
// That free runs on ZeroMQ's I/O thread, so the counts are atomics and a
// Held may be released on any thread.
//
// Fair shares: with n connections holding bytes (the asking one among them),
// one connection may hold at most limit / (n + 1). One share is so always
// left for a connection that holds nothing yet: a flood over many
// connections cannot take the budget from another caller.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/text.hpp"

namespace rpclb::agent {

class InflightBudget {
 public:
  // Bytes counted against the budget, for one connection, until this goes.
  // Movable; released on whichever thread destroys it.
  class Held {
   public:
    Held() = default;
    Held(Held&& other) noexcept;
    Held& operator=(Held&& other) noexcept;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() { release(); }

    std::uint64_t bytes() const { return bytes_; }
    // `bytes` more for the same connection, counted apart from these (a
    // reply to the request these count), without looking the connection up
    // again. Only of a Held the budget made.
    Held more(std::uint64_t bytes) const { return Held(counts_, connection_, bytes); }

   private:
    friend class InflightBudget;
    struct Counts;
    Held(std::shared_ptr<Counts> counts, std::shared_ptr<std::atomic<std::uint64_t>> connection, std::uint64_t bytes);
    void release();

    std::shared_ptr<Counts> counts_;
    std::shared_ptr<std::atomic<std::uint64_t>> connection_;
    std::uint64_t bytes_ = 0;
  };

  enum class Verdict {
    fits,
    over_budget,  // the agent holds too much to take it
    over_share,   // this connection holds its share already
  };

  struct Admission {
    Verdict verdict;
    Held held;  // the request's bytes, when it fits
  };

  explicit InflightBudget(std::uint64_t limit);

  // Whether a request of `bytes` from `connection` (its ROUTER routing id)
  // may be taken now; if so, its bytes are counted from now on, by the
  // Admission's Held. A connection refused for its share is remembered
  // until the next sweep().
  Admission admit(std::string_view connection, std::uint64_t bytes);
  // Counts `bytes` for `connection` until the Held goes; never refused (a
  // reply already made is counted, whatever it weighs).
  Held hold(std::string_view connection, std::uint64_t bytes);

  std::uint64_t limit() const { return limit_; }
  // Bytes held now, in all; safe from any thread.
  std::uint64_t held() const;
  // The most held at once since the last call (or the start).
  std::uint64_t take_peak();
  // Connections refused for their share between the last two sweep()s;
  // safe from any thread.
  std::uint64_t connections_at_share() const;
  // Counts the connections refused for their share since the last sweep,
  // and forgets those that hold nothing (gone or idle). The agent calls it
  // on its heartbeat.
  void sweep();

 private:
  struct Connection {
    std::shared_ptr<std::atomic<std::uint64_t>> bytes;  // shared with its Helds
    bool refused_for_share = false;                     // since the last sweep
  };
  using ByConnection = std::unordered_map<std::string, Connection, StringHash, std::equal_to<>>;

  // A connection first seen, holding nothing yet.
  ByConnection::iterator add_connection(std::string_view connection);
  // The share of one connection, `holding` of them holding bytes.
  std::uint64_t share(std::uint64_t holding) const { return limit_ / (holding + 1); }

  std::uint64_t limit_;
  std::shared_ptr<Held::Counts> counts_;
  ByConnection connections_;
  std::atomic<std::uint64_t> at_share_{0};
};

}  // namespace rpclb::agent
