// One POST /v3/watch: the watches its body created and the response lines waiting to be sent.
// The store's callbacks queue encoded lines; the HTTP thread that serves the stream takes them
// with next() and writes them, one `{"result":{...}}\n` per line, as etcd's gateway does.
//
// Thread: the store calls in on its own threads (with its lock held: the queue has a lock of
// its own, taken after the store's and never before it); next() on the serving thread; close()
// from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/control_json.hpp"
#include "cluster/kv_store.hpp"

namespace lunatic::cluster::control {

class WatchStream {
 public:
  WatchStream(KvStore& store, HeaderIds ids);
  ~WatchStream();
  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // Starts a watch: queues its "created" line, then whatever it replays.
  void create(const WatchCreateRequest& request);
  // Waits up to `wait` for lines and moves them into `lines`. False once the stream is closed
  // and drained: then the response ends.
  bool next(std::vector<std::string>& lines, std::chrono::milliseconds wait);
  // Ends the stream: next() returns false from now on. Idempotent.
  void close();

 private:
  void push(const WatchResponse& response, std::int64_t revision);

  KvStore& store_;
  HeaderIds ids_;
  std::int64_t next_watch_id_ = 0;
  std::vector<std::unique_ptr<KvStore::Watch>> watches_;  // the serving thread's only
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::string> lines_;
  bool closed_ = false;
};

}  // namespace lunatic::cluster::control
