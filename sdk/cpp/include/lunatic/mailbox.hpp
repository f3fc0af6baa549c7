// Mailbox<Msg>: the receiving side of a process. Messages are decoded as Msg; bytes that do not
// decode are an Error (kDecode), never undefined behaviour. Link-died and process-died signals
// arrive as values from receive_event().
#pragma once

#include <lunatic/abi.h>

#include <cstdint>
#include <initializer_list>
#include <lunatic/detail/message_io.hpp>
#include <lunatic/process.hpp>
#include <lunatic/result.hpp>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace lunatic {

// Why a linked process ended (lunatic::message::link_died_reason, beyond Lunatic).
enum class LinkDiedReason : std::uint8_t {
  kFailed = 1,     // it trapped or was killed
  kNoProcess = 2,  // it did not exist when the link was made (Erlang's noproc)
  kNodeDown = 3,   // it was lost with its node: the node went down or the connection broke
};

// A linked process failed (seen only after die_when_link_dies(false)); `tag` is the link's.
struct LinkDied {
  Tag tag = 0;
  LinkDiedReason reason = LinkDiedReason::kFailed;
};
// A monitored process died, normally or not.
struct ProcessDied {
  ProcessId process;
};

template <class Msg>
using Event = std::variant<Msg, LinkDied, ProcessDied>;

template <class Msg>
class Mailbox {
 public:
  // The next message, waiting at most `timeout` (none: for ever). A signal is an Error
  // (kNoProcess) here; use receive_event() where signals are expected.
  LUNATIC_INLINE Result<Msg> receive(std::optional<Milliseconds> timeout = std::nullopt) const {
    return next_message({}, timeout);
  }

  // The next message whose tag is one of `tags`; other messages stay, in their order.
  Result<Msg> receive_tagged(std::span<const Tag> tags,
                             std::optional<Milliseconds> timeout = std::nullopt) const {
    return next_message(tags, timeout);
  }
  Result<Msg> receive_tagged(std::initializer_list<Tag> tags,
                             std::optional<Milliseconds> timeout = std::nullopt) const {
    return receive_tagged(std::span<const Tag>(tags.begin(), tags.size()), timeout);
  }

  // The next message or signal.
  Result<Event<Msg>> receive_event(std::optional<Milliseconds> timeout = std::nullopt) const {
    switch (wait({}, timeout)) {
      case LUNATIC_MESSAGE_DATA: {
        Result<Msg> message = detail::read_message<Msg>();
        if (!message) return message.error();
        return Event<Msg>(std::in_place_index<0>, std::move(message).value());
      }
      case LUNATIC_MESSAGE_LINK_DIED:
        return Event<Msg>(
            std::in_place_index<1>,
            LinkDied{lunatic_message_get_tag(),
                     static_cast<LinkDiedReason>(lunatic_message_link_died_reason())});
      case LUNATIC_MESSAGE_PROCESS_DIED:
        return Event<Msg>(std::in_place_index<2>,
                          ProcessDied{ProcessId{lunatic_message_get_process_id()}});
      default:
        return timed_out();
    }
  }

  // The tag of the message last received (0: untagged).
  Tag last_tag() const { return lunatic_message_get_tag(); }

 private:
  LUNATIC_INLINE static std::uint32_t wait(std::span<const Tag> tags,
                                           std::optional<Milliseconds> timeout) {
    return lunatic_message_receive(detail::address(tags.data()),
                                   static_cast<std::uint32_t>(tags.size()),
                                   detail::timeout_ms(timeout));
  }

  // receive() without building an Event: the common case stays a receive, a read and a decode.
  LUNATIC_INLINE static Result<Msg> next_message(std::span<const Tag> tags,
                                                 std::optional<Milliseconds> timeout) {
    switch (wait(tags, timeout)) {
      case LUNATIC_MESSAGE_DATA:
        return detail::read_message<Msg>();
      case LUNATIC_MESSAGE_LINK_DIED:
        return link_died(lunatic_message_get_tag());
      case LUNATIC_MESSAGE_PROCESS_DIED:
        return process_died(lunatic_message_get_process_id());
      default:
        return timed_out();
    }
  }

  [[gnu::cold, gnu::noinline]] static Error timed_out() {
    return Error{ErrorKind::kTimeout, "no message within the timeout"};
  }
  [[gnu::cold, gnu::noinline]] static Error link_died(Tag tag) {
    return Error{ErrorKind::kNoProcess, "a linked process died (tag " + std::to_string(tag) + ")"};
  }
  [[gnu::cold, gnu::noinline]] static Error process_died(std::uint64_t process) {
    return Error{ErrorKind::kNoProcess, "process " + std::to_string(process) + " died"};
  }
};

}  // namespace lunatic
