// Request/reply between processes. A Request carries its sender and a reply tag unique in the
// sender; the reply comes back with that tag, so the requester waits for it selectively and every
// other message keeps its place in its mailbox.
#pragma once

#include <lunatic/abi.h>

#include <cstdint>
#include <lunatic/detail/message_io.hpp>
#include <lunatic/process.hpp>
#include <lunatic/result.hpp>
#include <string>

namespace lunatic {

template <class Req, class Resp>
struct Request {
  ProcessId from;
  Tag reply_tag = 0;
  Req body;

  void reply(const Resp& response) const { detail::send_value(from.value, reply_tag, response); }
};

namespace detail {

// Sends what is in the scratch area to `to` and waits for the reply tagged `tag`. A peer that is
// dead before the call is kNoProcess at once; one that dies while it holds the request is seen
// when the timeout ends (Lunatic has no tag on process-died signals to wait for them selectively).
template <class Resp>
Result<Resp> send_and_await_reply(ProcessId to, Tag tag, Milliseconds timeout) {
  if (lunatic_exists(to.value) != 1) {
    lunatic_message_create_data(0, 0);  // drop the request that was built
    return Error{ErrorKind::kNoProcess, "process " + std::to_string(to.value) + " does not exist"};
  }
  const std::uint32_t status =
      lunatic_message_send_receive_skip_search(to.value, tag, detail::milliseconds(timeout));
  if (status == LUNATIC_TIMEOUT) {
    if (lunatic_exists(to.value) != 1) {
      return Error{ErrorKind::kNoProcess, "process " + std::to_string(to.value) + " died"};
    }
    return Error{ErrorKind::kTimeout, "no reply within the timeout"};
  }
  return read_message<Resp>();
}

}  // namespace detail

// Sends `body` to `to` and waits at most `timeout` for its reply.
template <class Req, class Resp>
Result<Resp> request(const Process<Request<Req, Resp>>& to, const Req& body, Milliseconds timeout) {
  const Tag tag = detail::next_reply_tag();
  detail::build_message(0, Request<Req, Resp>{this_process_id(), tag, body});
  return detail::send_and_await_reply<Resp>(to.id(), tag, timeout);
}

}  // namespace lunatic
