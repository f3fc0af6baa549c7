#include "cluster/control_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <random>
#include <utility>
#include <vector>

#include "cluster/control_watch_stream.hpp"
#include "cluster/join_token.hpp"
#include "cluster/private_file.hpp"
#include "common/sigpipe_guard.hpp"

namespace lunatic::cluster {
namespace {

using control::Json;

constexpr const char* kJson = "application/json";
// Not "application/json": cpp-httplib gzips that type for a client that accepts gzip, and its
// compressor holds back a stream's small writes, so watch events would sit in its buffer.
constexpr const char* kJsonStream = "application/json; charset=utf-8";
// How often an idle watch stream checks that its client is still there.
constexpr auto kWatchIdleCheck = std::chrono::seconds(1);
// How long stop() lets open watch streams finish before it stops the server.
constexpr auto kStreamsEndWait = std::chrono::seconds(1);
// How often leases are checked for expiry (etcd checks every 500 ms).
constexpr auto kExpiryPeriod = std::chrono::milliseconds(250);

void send_error(httplib::Response& res, std::string_view message, GrpcCode code) {
  res.status = control::http_status_of(code);
  res.set_content(control::dump(control::encode_error(message, code)), kJson);
}
void send_error(httplib::Response& res, const Error& error) {
  send_error(res, error.message, grpc_code_of(error.message));
}

std::uint64_t random_id(std::random_device& random) {
  std::uint64_t id = 0;
  while (id == 0) id = std::uint64_t{random()} << 32 | random();
  return id;
}

}  // namespace

ControlServer::ControlServer(ControlServerOptions options)
    : options_(std::move(options)), store_(options_.store) {
  std::random_device random;
  ids_.cluster_id = random_id(random);
  ids_.member_id = random_id(random);
  ids_.raft_term = 2;  // a fresh single-member etcd's term, after its first election
}

ControlServer::~ControlServer() { stop(); }

std::shared_ptr<control::WatchStream> ControlServer::open_watch_stream() {
  auto stream = std::make_shared<control::WatchStream>(store_, ids_);
  std::lock_guard lock(mutex_);
  if (stopping_) {
    stream->close();
  } else {
    streams_.insert(stream);
  }
  return stream;
}

void ControlServer::route() {
  httplib::Server& http = *http_;
  const auto header = [this](std::int64_t revision) {
    return control::encode_header(ids_, revision);
  };
  // A unary gateway call: the body's first JSON object in, one JSON object out.
  const auto unary = [](auto handle) {
    return [handle](const httplib::Request& req, httplib::Response& res) {
      auto objects = control::parse_objects(req.body);
      if (!objects) return send_error(res, objects.error());
      Expected<Json> reply = handle(objects->front());
      if (!reply) return send_error(res, reply.error());
      res.set_content(control::dump(*reply), kJson);
    };
  };

  http.Post("/v3/kv/range", unary([this, header](const Json& body) -> Expected<Json> {
              auto request = control::decode_range(body);
              if (!request) return request.error();
              auto response = store_.range(*request);
              if (!response) return response.error();
              return control::encode_range(*response, header(response->revision));
            }));
  http.Post("/v3/kv/put", unary([this, header](const Json& body) -> Expected<Json> {
              auto request = control::decode_put(body);
              if (!request) return request.error();
              auto response = store_.put(*request);
              if (!response) return response.error();
              return control::encode_put(*response, header(response->revision));
            }));
  http.Post("/v3/kv/deleterange", unary([this, header](const Json& body) -> Expected<Json> {
              auto request = control::decode_delete_range(body);
              if (!request) return request.error();
              auto response = store_.delete_range(*request);
              if (!response) return response.error();
              return control::encode_delete_range(*response, header(response->revision));
            }));
  http.Post("/v3/kv/txn", unary([this, header](const Json& body) -> Expected<Json> {
              auto request = control::decode_txn(body);
              if (!request) return request.error();
              auto response = store_.txn(*request);
              if (!response) return response.error();
              return control::encode_txn(*response, header(response->revision));
            }));
  http.Post("/v3/kv/compaction", unary([this, header](const Json& body) -> Expected<Json> {
              auto request = control::decode_compaction(body);
              if (!request) return request.error();
              auto revision = store_.compact(request->revision);
              if (!revision) return revision.error();
              Json out = Json::object();
              out["header"] = header(*revision);
              return out;
            }));
  http.Post("/v3/lease/grant", unary([this, header](const Json& body) -> Expected<Json> {
              auto request = control::decode_lease_grant(body);
              if (!request) return request.error();
              auto response = store_.lease_grant(request->ttl, request->id);
              if (!response) return response.error();
              return control::encode_lease_grant(*response, header(response->revision));
            }));
  const auto revoke = unary([this, header](const Json& body) -> Expected<Json> {
    auto request = control::decode_lease_id(body, "etcdserverpb.LeaseRevokeRequest");
    if (!request) return request.error();
    auto revision = store_.lease_revoke(request->id);
    if (!revision) return revision.error();
    Json out = Json::object();
    out["header"] = header(*revision);
    return out;
  });
  http.Post("/v3/lease/revoke", revoke);
  http.Post("/v3/kv/lease/revoke", revoke);
  http.Post("/v3/lease/timetolive", unary([this, header](const Json& body) -> Expected<Json> {
              auto request = control::decode_lease_time_to_live(body);
              if (!request) return request.error();
              const auto response = store_.lease_time_to_live(request->id, request->keys);
              return control::encode_lease_time_to_live(response, header(response.revision));
            }));

  // A stream in etcd: one answer per request object, each on its own line.
  http.Post(
      "/v3/lease/keepalive", [this, header](const httplib::Request& req, httplib::Response& res) {
        auto objects = control::parse_objects(req.body);
        if (!objects) return send_error(res, objects.error());
        std::vector<std::int64_t> ids;
        for (const Json& object : *objects) {
          auto request = control::decode_lease_id(object, "etcdserverpb.LeaseKeepAliveRequest");
          if (!request) return send_error(res, request.error());
          ids.push_back(request->id);
        }
        std::string lines;
        for (std::int64_t id : ids) {
          const LeaseKeepAliveResponse response = store_.lease_keepalive(id);
          Json line = Json::object();
          line["result"] = control::encode_lease_keepalive(response, header(response.revision));
          lines += control::dump(line);
          lines += '\n';
        }
        res.set_content(lines, kJson);
      });

  http.Post("/v3/watch", [this](const httplib::Request& req, httplib::Response& res) {
    auto objects = control::parse_objects(req.body);
    if (!objects) return send_error(res, objects.error());
    std::vector<control::WatchRequest> requests;
    for (const Json& object : *objects) {
      auto request = control::decode_watch(object);
      if (!request) return send_error(res, request.error());
      requests.push_back(std::move(*request));
    }
    std::shared_ptr<control::WatchStream> stream = open_watch_stream();
    for (const control::WatchRequest& request : requests) {
      if (request.is_create) stream->create(request.create);
    }
    res.set_chunked_content_provider(
        kJsonStream,
        [stream](std::size_t, httplib::DataSink& sink) {
          std::vector<std::string> lines;
          const bool open = stream->next(lines, kWatchIdleCheck);
          for (const std::string& line : lines) {
            if (!sink.write(line.data(), line.size())) return false;
          }
          if (!open) {
            sink.done();
            return true;
          }
          // Nothing to send for a while: a client that has gone ends the stream here, not at
          // the next event (which may never come).
          return !lines.empty() || sink.is_writable();
        },
        [this, stream](bool) {
          std::shared_ptr<control::WatchStream> gone;
          std::lock_guard lock(mutex_);
          if (auto found = streams_.find(stream); found != streams_.end()) {
            gone = *found;
            streams_.erase(found);
          }
          streams_changed_.notify_all();
        });
  });

  http.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"health":"true"})", kJson);
  });
  http.Get("/lunatic/v1/ca", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(ca_->certificate_pem(), "application/x-pem-file");
  });
  http.Post("/lunatic/v1/sign", [this](const httplib::Request& req, httplib::Response& res) {
    if (!bearer_matches(req.get_header_value("Authorization"), join_token_)) {
      res.set_header("WWW-Authenticate", "Bearer");
      return send_error(res,
                        "a join token is needed: Authorization: Bearer <the token in the control "
                        "state directory's join-token file>",
                        GrpcCode::kUnauthenticated);
    }
    const Json body = Json::parse(req.body, nullptr, false);
    const auto text = [&](const char* name) -> const std::string* {
      if (!body.is_object()) return nullptr;
      auto found = body.find(name);
      return found != body.end() && found->is_string() ? &found->get_ref<const std::string&>()
                                                       : nullptr;
    };
    const std::string* node_name = text("node_name");
    const std::string* csr_pem = text("csr_pem");
    if (node_name == nullptr || csr_pem == nullptr) {
      return send_error(res, "expected a JSON object with strings node_name and csr_pem",
                        GrpcCode::kInvalidArgument);
    }
    Expected<std::string> certificate = [&] {
      std::lock_guard lock(sign_mutex_);
      return ca_->sign(*node_name, *csr_pem);
    }();
    if (!certificate) {
      return send_error(res, certificate.error().message, GrpcCode::kInvalidArgument);
    }
    Json out = Json::object();
    out["certificate_pem"] = *certificate;
    out["ca_pem"] = ca_->certificate_pem();
    res.set_content(control::dump(out), kJson);
  });

  // Bodies for the errors cpp-httplib answers itself (no route, too large, unreadable).
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&,
                                                                 httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const auto code = res.status == 404 ? GrpcCode::kNotFound : GrpcCode::kInvalidArgument;
    const int status = res.status;
    send_error(res, status == 404 ? "Not Found" : "HTTP status " + std::to_string(status), code);
    res.status = status;
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string what = "internal error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        send_error(res, what, GrpcCode::kInvalidArgument);
        res.status = 500;
      });
}

Expected<int> ControlServer::start() {
  if (http_) return make_error(Errc::kInvalidArgument, "the control server is already started");
  if (options_.state_dir.empty()) {
    return make_error(Errc::kInvalidArgument, "the control server needs a state directory");
  }
  if (auto made = make_private_directory(options_.state_dir); !made) return made.error();
  auto ca = CertificateAuthority::load_or_create(options_.state_dir);
  if (!ca) return ca.error();
  ca_.emplace(std::move(*ca));
  auto token = options_.join_token_file.empty() ? make_join_token()
                                                : read_join_token(options_.join_token_file);
  if (!token) return token.error();
  join_token_ = std::move(*token);
  if (auto written = write_private_file(options_.state_dir / kJoinTokenFile, join_token_);
      !written) {
    return written.error();
  }

  http_ = std::make_unique<httplib::Server>();
  const std::size_t threads = options_.threads;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_keep_alive_timeout(options_.keep_alive_seconds);
  http_->set_payload_max_length(options_.max_body_bytes);
  http_->set_tcp_nodelay(true);  // watch lines are small and must not wait for an ACK
  // cpp-httplib's default sets SO_REUSEPORT, with which a second control server on the same
  // port would bind too and the kernel would split the clients between two separate stores.
  // SO_REUSEADDR alone still allows a restart while old connections sit in TIME_WAIT.
  http_->set_socket_options([](int socket) {
    int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  route();
  port_ = options_.port == 0
              ? http_->bind_to_any_port(options_.host)
              : (http_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port_ <= 0) {
    http_.reset();
    return make_error(Errc::kIo,
                      "cannot listen on " + options_.host + ":" + std::to_string(options_.port));
  }
  auto listening_ended = std::make_shared<std::atomic<bool>>(false);
  listener_ = std::thread([this, listening_ended] {
    block_sigpipe_in_this_thread();  // and in httplib's pool: it writes without MSG_NOSIGNAL
    http_->listen_after_bind();
    listening_ended->store(true);
  });
  // stop() only stops a server that runs: wait for it to run, so that an early stop() works.
  while (!http_->is_running() && !listening_ended->load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  expiry_timer_ = std::thread([this] { expire_leases(); });
  return port_;
}

void ControlServer::expire_leases() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    stop_requested_.wait_for(lock, kExpiryPeriod);
    if (stopping_) break;
    lock.unlock();
    store_.expire_due_leases();
    lock.lock();
  }
}

void ControlServer::stop() {
  std::set<std::shared_ptr<control::WatchStream>> streams;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    streams = streams_;
  }
  stop_requested_.notify_all();
  // The streams first, and until they are done: cpp-httplib stops calling a content provider
  // once the server stops, so a stream still open then would be cut off without its last
  // chunk. A stream whose client does not read is not waited for long.
  for (const auto& stream : streams) stream->close();
  streams.clear();
  {
    std::unique_lock lock(mutex_);
    streams_changed_.wait_for(lock, kStreamsEndWait, [&] { return streams_.empty(); });
  }
  if (http_) http_->stop();
  if (listener_.joinable()) listener_.join();
  if (expiry_timer_.joinable()) expiry_timer_.join();
}

}  // namespace lunatic::cluster
