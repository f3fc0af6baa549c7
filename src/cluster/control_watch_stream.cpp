#include "cluster/control_watch_stream.hpp"

#include <utility>

namespace lunatic::cluster::control {

WatchStream::WatchStream(KvStore& store, HeaderIds ids) : store_(store), ids_(ids) {}

// The watches go first: after that no callback can reach this object.
WatchStream::~WatchStream() { watches_.clear(); }

void WatchStream::push(const WatchResponse& response, std::int64_t revision) {
  Json line = Json::object();
  line["result"] = encode_watch(response, encode_header(ids_, revision));
  std::string text = dump(line);
  text += '\n';
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    lines_.push_back(std::move(text));
  }
  ready_.notify_all();
}

void WatchStream::create(const WatchCreateRequest& request) {
  const std::int64_t watch_id = request.watch_id != 0 ? request.watch_id : next_watch_id_++;
  // The created line carries the revision the watch starts after; a watch "from now" starts at
  // the next one, counted from this same reading, so that no write in between is lost.
  const std::int64_t current = store_.revision();
  const std::int64_t start = request.start_revision != 0 ? request.start_revision : current + 1;
  WatchResponse created;
  created.watch_id = watch_id;
  created.created = true;
  push(created, current);

  const bool no_put = request.no_put;
  const bool no_delete = request.no_delete;
  watches_.push_back(store_.watch(request.range, start, request.prev_kv,
                                  [this, watch_id, no_put, no_delete](WatchBatch&& batch) {
                                    WatchResponse response;
                                    response.watch_id = watch_id;
                                    if (batch.compact_revision != 0) {
                                      // etcd cancels a watch whose history is gone; its header has
                                      // no revision.
                                      response.compact_revision = batch.compact_revision;
                                      response.canceled = true;
                                      push(response, 0);
                                      return;
                                    }
                                    for (Event& event : batch.events) {
                                      const bool is_put = event.type == Event::Type::kPut;
                                      if ((is_put && no_put) || (!is_put && no_delete)) continue;
                                      response.events.push_back(std::move(event));
                                    }
                                    if (!response.events.empty()) push(response, batch.revision);
                                  }));
}

bool WatchStream::next(std::vector<std::string>& lines, std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, wait, [&] { return !lines_.empty() || closed_; });
  while (!lines_.empty()) {
    lines.push_back(std::move(lines_.front()));
    lines_.pop_front();
  }
  return !closed_;
}

void WatchStream::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

}  // namespace lunatic::cluster::control
