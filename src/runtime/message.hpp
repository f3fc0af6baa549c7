// A message in a mailbox: data (a tag, bytes and moved resources) or a signal turned into a
// message (a link died, a monitored process died), as Lunatic defines them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "common/resource_budget.hpp"

namespace lunatic::engine {
class Module;
}
namespace lunatic::net {
struct TcpStream;
struct UdpSocket;
class TlsStream;
}  // namespace lunatic::net

namespace lunatic::runtime {

// Why a process ended, as its links see it: Lunatic's DeathReason, and the loss of the node a
// linked process ran on (its connection lost or the node declared gone).
enum class DeathReason : std::uint8_t { kNormal, kFailure, kNoProcess, kNodeDown };

// A host resource that travels inside a message and changes owner on arrival.
using MessageResource =
    std::variant<std::shared_ptr<const engine::Module>, std::shared_ptr<net::TcpStream>,
                 std::shared_ptr<net::UdpSocket>, std::shared_ptr<net::TlsStream>>;

struct Message {
  enum class Kind : std::uint8_t { kData = 0, kLinkDied = 1, kProcessDied = 2 };

  Kind kind = Kind::kData;
  // kLinkDied: why the linked process ended. Beside kind, in what would be padding: a message
  // costs its sender the bytes of this struct (budgets, limits), which must not grow for it.
  DeathReason link_reason = DeathReason::kFailure;
  std::int64_t tag = 0;            // 0: no tag (matches only an untagged receive)
  std::uint64_t process_id = 0;    // kProcessDied: the process that died; kLinkDied: the link
  std::vector<std::uint8_t> data;  // kData only
  std::size_t read_position = 0;
  std::vector<std::optional<MessageResource>> resources;  // taken ones become empty
  Message* next_in_mailbox = nullptr;                     // owned by the Mailbox while queued
  // What the message's memory is counted against: the budget of the process that wrote it
  // (a guest cannot hold unbounded runtime memory in messages it built, queued or sent).
  BudgetCharge charge;

  static std::unique_ptr<Message> link_died(std::uint64_t id, std::int64_t tag,
                                            DeathReason reason) {
    auto message = std::make_unique<Message>();
    message->kind = Kind::kLinkDied;
    message->tag = tag;
    message->process_id = id;
    message->link_reason = reason;
    return message;
  }
  static std::unique_ptr<Message> process_died(std::uint64_t id) {
    auto message = std::make_unique<Message>();
    message->kind = Kind::kProcessDied;
    message->process_id = id;
    return message;
  }
};

}  // namespace lunatic::runtime
