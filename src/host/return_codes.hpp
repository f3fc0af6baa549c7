// Every code a lunatic::* function returns besides its data, in one place, as Lunatic 0.13
// defines them; docs/abi.md gives them per function. Values repeat across families, as in
// Lunatic: what 1 and 2 mean depends on the function.
#pragma once

#include <cstdint>

namespace lunatic::host {

enum ReturnCode : std::uint32_t {
  kOk = 0,

  // compile_module, spawn, networking: failed; for most, an error id is stored
  // where the result would have been.
  kFailed = 1,
  // get_or_spawn: the name was registered already; the process found is returned.
  kFoundRegistered = 2,
  // registry::get: no process is registered under the name.
  kNotRegistered = 1,

  // message::send, send_receive_skip_search: the receiver's mailbox is at its config's limit,
  // nothing was sent (beyond Lunatic).
  kMailboxFull = 2,

  // distributed::send and send_receive_skip_search.
  kNoSuchProcess = 1,
  kNoSuchNode = 2,
  kRemoteMailboxFull = 3,  // beyond Lunatic; its 2 is taken by kNoSuchNode
  // distributed::spawn.
  kSpawnNoSuchNode = 1,
  kSpawnNoSuchModule = 2,
  // distributed::spawn, send: the node could not be reached, or did not answer in time.
  kConnectionError = 9027,

  // receive, send_receive_skip_search, networking: the timeout passed first (Lunatic's 9027).
  kTimedOut = 9027,
};

}  // namespace lunatic::host
