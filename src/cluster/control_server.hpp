// `lunatic control`: the membership store for one machine and for development, with no etcd
// to install. It serves a KvStore over HTTP/1.1 at etcd v3's JSON gateway paths, in etcd
// 3.4's exact encoding (control_json.hpp), so that the store client and membership code
// talk to it as they talk to etcd:
//
//   POST /v3/kv/range, /v3/kv/put, /v3/kv/deleterange, /v3/kv/txn, /v3/kv/compaction
//   POST /v3/lease/grant, /v3/lease/revoke (also /v3/kv/lease/revoke), /v3/lease/keepalive
//        (one `{"result":...}\n` line per request object in the body), /v3/lease/timetolive
//   POST /v3/watch   a chunked stream: `{"result":{..."created":true}}\n`, then a line per batch
//                    of events, open until the client goes or the server stops
//   GET  /health     {"health":"true"}
//
// and, for the cluster's TLS, its development CA (certificate_authority.hpp):
//
//   GET  /lunatic/v1/ca    the CA certificate, PEM
//   POST /lunatic/v1/sign  {"node_name","csr_pem"} -> {"certificate_pem","ca_pem"}; needs
//                          `Authorization: Bearer <join token>` (join_token.hpp)
//
// The state directory (0700) holds ca.pem, ca.key (0600) and join-token (0600).
//
// Thread: start() and stop() from one owning thread; the rest from any. Requests are served
// on a pool of `threads` threads; each open watch holds one of them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "cluster/certificate_authority.hpp"
#include "cluster/control_json.hpp"
#include "cluster/kv_store.hpp"
#include "common/error.hpp"

namespace httplib {
class Server;
}

namespace lunatic::cluster {

namespace control {
class WatchStream;
}

struct ControlServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked: the KV API has no authentication
  int port = 0;                    // 0: the system picks one; start() says which
  std::filesystem::path state_dir;
  std::filesystem::path join_token_file;  // empty: make a random token
  std::size_t threads = 32;
  // How long an idle keep-alive connection is kept. stop() waits for idle connections up to
  // this long, so it stays short.
  int keep_alive_seconds = 1;
  std::size_t max_body_bytes = 2 * 1024 * 1024;  // etcd's request limit is 1.5 MiB
  KvStore::Options store;
};

class ControlServer {
 public:
  explicit ControlServer(ControlServerOptions options);
  ~ControlServer();  // stop()
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Loads or creates the CA and writes the join token in the state directory, binds, and
  // starts serving. Returns the bound port.
  Expected<int> start();
  // Ends every open watch stream, stops accepting, and returns when the serving threads are
  // done (at most about keep_alive_seconds for idle connections). Idempotent.
  void stop();

  int port() const { return port_; }
  const std::string& join_token() const { return join_token_; }
  KvStore& store() { return store_; }
  // Valid after a successful start().
  const CertificateAuthority& certificate_authority() const { return *ca_; }

 private:
  void route();
  void expire_leases();
  std::shared_ptr<control::WatchStream> open_watch_stream();

  ControlServerOptions options_;
  KvStore store_;
  control::HeaderIds ids_;
  std::optional<CertificateAuthority> ca_;
  std::mutex sign_mutex_;
  std::string join_token_;
  std::unique_ptr<httplib::Server> http_;
  std::thread listener_;
  int port_ = 0;

  std::mutex mutex_;  // guards what follows
  std::condition_variable stop_requested_;
  std::condition_variable streams_changed_;
  bool stopping_ = false;
  std::set<std::shared_ptr<control::WatchStream>> streams_;
  std::thread expiry_timer_;
};

}  // namespace lunatic::cluster
