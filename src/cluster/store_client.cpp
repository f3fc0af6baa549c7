#include "cluster/store_client.hpp"

#include <httplib.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "cluster/base64.hpp"
#include "common/sigpipe_guard.hpp"

namespace lunatic::cluster {

using nlohmann::json;

namespace {

constexpr int kCounterAttempts = 100;  // conflicts only under heavy contention; bounded anyway

std::string describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect (refused or unreachable)";
    case httplib::Error::ConnectionTimeout:
      return "connect timed out";
    case httplib::Error::Read:
      return "no reply (the connection broke or the read timed out)";
    case httplib::Error::Write:
      return "the request could not be sent";
    case httplib::Error::Canceled:
      return "cancelled";
    default:
      return "HTTP failure: " + httplib::to_string(error);
  }
}

// Reads etcd's JSON: int64 fields arrive as strings (or numbers), bytes as base64, and fields
// with default values are absent. The first malformed field is kept as the error.
class Fields {
 public:
  std::int64_t integer(const json& object, const char* name) {
    const auto it = object.find(name);
    if (it == object.end()) return 0;
    if (it->is_number_integer()) return it->get<std::int64_t>();
    if (it->is_string()) {
      const std::string& text = it->get_ref<const std::string&>();
      std::int64_t value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec == std::errc{} && end == text.data() + text.size()) return value;
    }
    fail(std::string("field \"") + name + "\" is not an integer");
    return 0;
  }
  std::string bytes(const json& object, const char* name) {
    const auto it = object.find(name);
    if (it == object.end()) return {};
    if (!it->is_string()) {
      fail(std::string("field \"") + name + "\" is not a string");
      return {};
    }
    auto decoded = base64_decode(it->get_ref<const std::string&>());
    if (!decoded) {
      fail(std::string("field \"") + name + "\": " + decoded.error().message);
      return {};
    }
    return std::move(decoded).value();
  }
  KeyValue key_value(const json& kv) {
    KeyValue out;
    out.key = bytes(kv, "key");
    out.value = bytes(kv, "value");
    out.create_revision = integer(kv, "create_revision");
    out.mod_revision = integer(kv, "mod_revision");
    out.version = integer(kv, "version");
    out.lease = integer(kv, "lease");
    return out;
  }
  std::vector<KeyValue> kvs(const json& object) {
    std::vector<KeyValue> out;
    const auto it = object.find("kvs");
    if (it == object.end()) return out;
    if (!it->is_array()) {
      fail("field \"kvs\" is not a list");
      return out;
    }
    for (const json& kv : *it) out.push_back(key_value(kv));
    return out;
  }
  void fail(std::string why) {
    if (!error) error = std::move(why);
  }

  std::optional<std::string> error;
};

// The text etcd puts in an error body: {"error": "...", "message": "...", "code": n}.
std::string error_text(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    for (const char* name : {"message", "error"}) {
      const auto it = parsed.find(name);
      if (it != parsed.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
        return it->get<std::string>();
      }
    }
  }
  return body.substr(0, 200);
}

std::string decimal(std::int64_t value) { return std::to_string(value); }

void configure(httplib::Client& client, const StoreOptions& options,
               std::chrono::milliseconds read_timeout) {
  client.set_connection_timeout(options.connect_timeout);
  client.set_read_timeout(read_timeout);
  client.set_write_timeout(options.request_timeout);
  client.set_keep_alive(false);
}

// Both transactions below compare one key and put it on success, reading it on failure.
json one_key_txn(const std::string& key64, json compare, json put) {
  compare["key"] = key64;
  compare["result"] = "EQUAL";
  put["key"] = key64;
  return json{{"compare", json::array({compare})},
              {"success", json::array({json{{"request_put", put}}})},
              {"failure", json::array({json{{"request_range", json{{"key", key64}}}}})}};
}

struct TxnOutcome {
  bool succeeded = false;
  std::optional<KeyValue> current;  // on failure: the key as the failure branch read it
};

// One-key transactions share their decoding: "succeeded" (absent: false) and, on failure, the
// response_range of the failure branch.
Expected<TxnOutcome> decode_txn(const json& body, const std::string& where) {
  Fields fields;
  TxnOutcome out;
  const auto succeeded = body.find("succeeded");
  out.succeeded = succeeded != body.end() && succeeded->is_boolean() && succeeded->get<bool>();
  if (!out.succeeded) {
    const auto responses = body.find("responses");
    if (responses != body.end() && responses->is_array() && !responses->empty()) {
      const auto range = responses->front().find("response_range");
      if (range != responses->front().end()) {
        std::vector<KeyValue> kvs = fields.kvs(*range);
        if (!kvs.empty()) out.current = std::move(kvs.front());
      }
    }
  }
  if (fields.error) return make_error(Errc::kIo, where + ": " + *fields.error);
  return out;
}

}  // namespace

struct StoreClient::Reply {
  json body;
};

Expected<StoreEndpoint> StoreEndpoint::parse(std::string_view url) {
  const std::string whole(url);
  auto bad = [&](const std::string& why) {
    return make_error(Errc::kInvalidArgument, "store address \"" + whole + "\": " + why);
  };
  for (std::string_view scheme : {"http://", "etcd://"}) {
    if (url.starts_with(scheme)) url.remove_prefix(scheme.size());
  }
  if (url.find("://") != std::string_view::npos) {
    return bad("only http:// and etcd:// are supported");
  }
  if (url.ends_with('/')) url.remove_suffix(1);
  const std::size_t colon = url.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad("expected host:port");
  std::string_view host = url.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  const std::string_view port_text = url.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535 || host.empty()) {
    return bad("expected host:port with a port from 1 to 65535");
  }
  return StoreEndpoint{std::string(host), static_cast<std::uint16_t>(port)};
}

std::string StoreEndpoint::text() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string prefix_range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key from the start key on
}

void WatchStop::request_stop() {
  stop_.store(true, std::memory_order_release);
  std::unique_lock lock(mutex_);
  // The interrupt shuts the watch's socket down; one made before the socket is connected has
  // nothing to shut, so repeat until the watch reports that it has ended.
  while (interrupt_) {
    interrupt_();
    ended_.wait_for(lock, std::chrono::milliseconds(20));
  }
}

bool WatchStop::begin(std::function<void()> interrupt) {
  std::lock_guard lock(mutex_);
  if (stop_requested()) return false;
  interrupt_ = std::move(interrupt);
  return true;
}

void WatchStop::end() {
  std::lock_guard lock(mutex_);
  interrupt_ = nullptr;
  ended_.notify_all();
}

Expected<StoreClient> StoreClient::create(std::string_view url, StoreOptions options) {
  auto endpoint = StoreEndpoint::parse(url);
  if (!endpoint) return endpoint.error();
  return StoreClient(std::move(endpoint).value(), options);
}

StoreClient::StoreClient(StoreEndpoint endpoint, StoreOptions options)
    : endpoint_(std::move(endpoint)), options_(options) {}

std::string StoreClient::where(const char* path) const {
  return "etcd at " + endpoint_.text() + " (" + path + ")";
}

Expected<StoreClient::Reply> StoreClient::call(const char* path, const std::string& body) const {
  httplib::Client client(endpoint_.host, endpoint_.port);
  configure(client, options_, options_.request_timeout);
  httplib::Request request;
  request.method = "POST";
  request.path = path;
  request.headers = {{"Content-Type", "application/json"}};
  request.body = body;
  // The status and the body are kept as they arrive: the gateway ends its error replies with
  // HTTP trailers, which httplib 0.11 fails to read, and the error text is in the body before.
  int status = 0;
  std::string reply;
  request.response_handler = [&status](const httplib::Response& response) {
    status = response.status;
    return true;
  };
  request.content_receiver = [&reply](const char* data, std::size_t size, std::uint64_t,
                                      std::uint64_t) {
    reply.append(data, size);
    return true;
  };
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  bool completed;
  {
    SigpipeGuard sigpipe_guard;  // httplib writes without MSG_NOSIGNAL
    completed = client.send(request, response, error);
  }
  if (status != 0 && status != 200) {
    return make_error(Errc::kIo,
                      where(path) + ": HTTP " + std::to_string(status) + ": " + error_text(reply));
  }
  if (!completed) return make_error(Errc::kIo, where(path) + ": " + describe(error));
  json parsed = json::parse(reply, nullptr, false);
  if (!parsed.is_object()) {
    return make_error(Errc::kIo,
                      where(path) + ": the reply is not a JSON object: " + reply.substr(0, 200));
  }
  return Reply{std::move(parsed)};
}

Expected<LeaseId> StoreClient::grant_lease(std::chrono::seconds ttl) const {
  if (ttl.count() <= 0) {
    return make_error(Errc::kInvalidArgument, "a lease needs a TTL of at least one second");
  }
  auto reply = call("/v3/lease/grant", json{{"TTL", decimal(ttl.count())}}.dump());
  if (!reply) return reply.error();
  Fields fields;
  const LeaseId id = fields.integer(reply->body, "ID");
  const auto it = reply->body.find("error");
  if (it != reply->body.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
    return make_error(Errc::kIo, where("/v3/lease/grant") + ": " + it->get<std::string>());
  }
  if (fields.error || id == 0) {
    return make_error(Errc::kIo,
                      where("/v3/lease/grant") + ": no lease id in " + reply->body.dump());
  }
  return id;
}

Expected<std::int64_t> StoreClient::keep_alive(LeaseId lease) const {
  // The gateway turns one request object into one message on the keepalive stream and ends the
  // stream when the body ends: the reply is one line, {"result": {...}}.
  auto reply = call("/v3/lease/keepalive", json{{"ID", decimal(lease)}}.dump());
  if (!reply) return reply.error();
  const auto result = reply->body.find("result");
  if (result == reply->body.end() || !result->is_object()) {
    return make_error(Errc::kIo, where("/v3/lease/keepalive") + ": unexpected reply " +
                                     reply->body.dump().substr(0, 200));
  }
  Fields fields;
  const std::int64_t ttl = fields.integer(*result, "TTL");  // absent: 0, the lease is gone
  if (fields.error)
    return make_error(Errc::kIo, where("/v3/lease/keepalive") + ": " + *fields.error);
  return ttl;
}

Status StoreClient::revoke(LeaseId lease) const {
  auto reply = call("/v3/lease/revoke", json{{"ID", decimal(lease)}}.dump());
  if (!reply && reply.error().message.find("lease not found") != std::string::npos) return Ok{};
  if (!reply) return reply.error();
  return Ok{};
}

Expected<std::int64_t> StoreClient::put(std::string_view key, std::string_view value,
                                        LeaseId lease) const {
  json request{{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease != 0) request["lease"] = decimal(lease);
  auto reply = call("/v3/kv/put", request.dump());
  if (!reply) return reply.error();
  Fields fields;
  const auto header = reply->body.find("header");
  const std::int64_t revision =
      header == reply->body.end() ? 0 : fields.integer(*header, "revision");
  if (fields.error) return make_error(Errc::kIo, where("/v3/kv/put") + ": " + *fields.error);
  return revision;
}

Expected<std::optional<KeyValue>> StoreClient::get(std::string_view key) const {
  auto reply = call("/v3/kv/range", json{{"key", base64_encode(key)}}.dump());
  if (!reply) return reply.error();
  Fields fields;
  std::vector<KeyValue> kvs = fields.kvs(reply->body);
  if (fields.error) return make_error(Errc::kIo, where("/v3/kv/range") + ": " + *fields.error);
  if (kvs.empty()) return std::optional<KeyValue>();
  return std::optional<KeyValue>(std::move(kvs.front()));
}

Expected<RangeResult> StoreClient::range_prefix(std::string_view prefix) const {
  const std::string start = prefix.empty() ? std::string(1, '\0') : std::string(prefix);
  auto reply = call("/v3/kv/range", json{{"key", base64_encode(start)},
                                         {"range_end", base64_encode(prefix_range_end(prefix))}}
                                        .dump());
  if (!reply) return reply.error();
  Fields fields;
  RangeResult out;
  const auto header = reply->body.find("header");
  if (header != reply->body.end()) out.revision = fields.integer(*header, "revision");
  out.kvs = fields.kvs(reply->body);
  if (fields.error) return make_error(Errc::kIo, where("/v3/kv/range") + ": " + *fields.error);
  return out;
}

Expected<bool> StoreClient::delete_key(std::string_view key) const {
  auto reply = call("/v3/kv/deleterange", json{{"key", base64_encode(key)}}.dump());
  if (!reply) return reply.error();
  Fields fields;
  const std::int64_t deleted = fields.integer(reply->body, "deleted");
  if (fields.error)
    return make_error(Errc::kIo, where("/v3/kv/deleterange") + ": " + *fields.error);
  return deleted > 0;
}

Expected<bool> StoreClient::delete_if_value(std::string_view key, std::string_view value) const {
  const std::string key64 = base64_encode(key);
  const json request{
      {"compare", json::array({json{{"key", key64},
                                    {"result", "EQUAL"},
                                    {"target", "VALUE"},
                                    {"value", base64_encode(value)}}})},
      {"success", json::array({json{{"request_delete_range", json{{"key", key64}}}}})}};
  auto reply = call("/v3/kv/txn", request.dump());
  if (!reply) return reply.error();
  auto outcome = decode_txn(reply->body, where("/v3/kv/txn"));
  if (!outcome) return outcome.error();
  return outcome->succeeded;
}

Expected<CreateResult> StoreClient::create_if_absent(std::string_view key, std::string_view value,
                                                     LeaseId lease) const {
  const std::string key64 = base64_encode(key);
  json put{{"value", base64_encode(value)}};
  if (lease != 0) put["lease"] = decimal(lease);
  const json request =
      one_key_txn(key64, json{{"target", "CREATE"}, {"create_revision", "0"}}, std::move(put));
  auto reply = call("/v3/kv/txn", request.dump());
  if (!reply) return reply.error();
  auto outcome = decode_txn(reply->body, where("/v3/kv/txn"));
  if (!outcome) return outcome.error();
  CreateResult out;
  out.created = outcome->succeeded;
  if (out.created) {
    out.current.key = std::string(key);
    out.current.value = std::string(value);
    out.current.lease = lease;
    const auto header = reply->body.find("header");
    Fields fields;
    if (header != reply->body.end()) {
      out.current.create_revision = out.current.mod_revision = fields.integer(*header, "revision");
    }
    out.current.version = 1;
  } else if (outcome->current) {
    out.current = std::move(*outcome->current);
  } else {
    // The key vanished between the compare and the read of the same transaction: impossible
    // in one etcd transaction, so the reply is not what we think it is.
    return make_error(Errc::kIo, where("/v3/kv/txn") + ": the key exists but could not be read");
  }
  return out;
}

Expected<std::uint64_t> StoreClient::allocate_counter(std::string_view key) const {
  const std::string key64 = base64_encode(key);
  auto current = get(key);
  if (!current) return current.error();
  std::optional<KeyValue> known = std::move(current).value();
  for (int attempt = 0; attempt < kCounterAttempts; ++attempt) {
    std::uint64_t next = 1;
    json compare{{"target", "CREATE"}, {"create_revision", "0"}};
    if (known) {
      std::uint64_t value = 0;
      const std::string& text = known->value;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc{} || end != text.data() + text.size()) {
        return make_error(Errc::kIo, where("/v3/kv/txn") + ": the counter " + std::string(key) +
                                         " holds \"" + text.substr(0, 40) + "\", not a number");
      }
      next = value + 1;
      compare = json{{"target", "MOD"}, {"mod_revision", decimal(known->mod_revision)}};
    }
    const json request = one_key_txn(key64, std::move(compare),
                                     json{{"value", base64_encode(std::to_string(next))}});
    auto reply = call("/v3/kv/txn", request.dump());
    if (!reply) return reply.error();
    auto outcome = decode_txn(reply->body, where("/v3/kv/txn"));
    if (!outcome) return outcome.error();
    if (outcome->succeeded) return next;
    known = std::move(outcome->current);  // someone else counted first: try on from theirs
  }
  return make_error(Errc::kLimitReached, where("/v3/kv/txn") + ": the counter " + std::string(key) +
                                             " stayed contended for " +
                                             std::to_string(kCounterAttempts) + " attempts");
}

Status StoreClient::compact(std::int64_t revision) const {
  auto reply = call("/v3/kv/compaction", json{{"revision", decimal(revision)}}.dump());
  if (!reply) return reply.error();
  return Ok{};
}

namespace {

// One line of the watch stream: {"result": {...}} or {"error": {...}}. Returns the events it
// carries (none for the "created" message), or why the stream is over.
Expected<std::vector<WatchEvent>> decode_watch_line(const std::string& line,
                                                    const std::string& where) {
  const json parsed = json::parse(line, nullptr, false);
  if (!parsed.is_object()) {
    return make_error(Errc::kIo, where + ": not JSON in the watch stream: " + line.substr(0, 200));
  }
  if (const auto error = parsed.find("error"); error != parsed.end()) {
    std::string text = error->dump();
    if (error->is_object() && error->contains("message") && (*error)["message"].is_string()) {
      text = (*error)["message"].get<std::string>();
    }
    return make_error(Errc::kIo, where + ": the watch failed: " + text);
  }
  const auto result = parsed.find("result");
  if (result == parsed.end() || !result->is_object()) {
    return make_error(Errc::kIo, where + ": unexpected watch message: " + line.substr(0, 200));
  }
  Fields fields;
  if (const auto canceled = result->find("canceled");
      canceled != result->end() && canceled->is_boolean() && canceled->get<bool>()) {
    const std::int64_t compacted = fields.integer(*result, "compact_revision");
    std::string reason =
        compacted != 0 ? "the start revision was compacted (now " + std::to_string(compacted) + ")"
                       : "the store cancelled the watch";
    if (const auto why = result->find("cancel_reason"); why != result->end() && why->is_string()) {
      reason += ": " + why->get<std::string>();
    }
    return make_error(Errc::kIo, where + ": " + reason);
  }
  std::vector<WatchEvent> events;
  if (const auto list = result->find("events"); list != result->end() && list->is_array()) {
    for (const json& event : *list) {
      WatchEvent out;
      const auto type = event.find("type");
      out.type = type != event.end() && type->is_string() && type->get<std::string>() == "DELETE"
                     ? WatchEvent::Type::kDelete
                     : WatchEvent::Type::kPut;
      if (const auto kv = event.find("kv"); kv != event.end()) out.kv = fields.key_value(*kv);
      events.push_back(std::move(out));
    }
  }
  if (fields.error) return make_error(Errc::kIo, where + ": " + *fields.error);
  return events;
}

}  // namespace

Status StoreClient::watch_prefix(
    std::string_view prefix, std::int64_t start_revision,
    const std::function<void(const std::vector<WatchEvent>&)>& on_events, WatchStop& stop) const {
  const std::string where_text = where("/v3/watch");
  httplib::Client client(endpoint_.host, endpoint_.port);
  configure(client, options_, options_.watch_idle_timeout);
  // httplib's stop() shuts the socket down, which wakes the blocked read at once.
  if (!stop.begin([&client] { client.stop(); })) return Ok{};
  struct EndWatch {
    WatchStop& stop;
    ~EndWatch() { stop.end(); }
  } end_watch{stop};

  const std::string start = prefix.empty() ? std::string(1, '\0') : std::string(prefix);
  json create{{"key", base64_encode(start)},
              {"range_end", base64_encode(prefix_range_end(prefix))}};
  if (start_revision > 0) create["start_revision"] = decimal(start_revision);

  httplib::Request request;
  request.method = "POST";
  request.path = "/v3/watch";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = json{{"create_request", create}}.dump();
  int status = 0;
  request.response_handler = [&status](const httplib::Response& response) {
    status = response.status;
    return true;
  };
  std::string pending;
  std::optional<Error> failure;
  request.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
    if (stop.stop_requested()) return false;
    pending.append(data, size);
    if (status != 200) return true;  // an error body: read it whole, report it below
    // Messages end with '\n'; chunk boundaries are not message boundaries.
    for (std::size_t newline; (newline = pending.find('\n')) != std::string::npos;) {
      const std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto events = decode_watch_line(line, where_text);
      if (!events) {
        failure = events.error();
        return false;
      }
      if (!events->empty()) on_events(*events);
      if (stop.stop_requested()) return false;
    }
    return true;
  };

  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  bool completed;
  {
    // httplib writes without MSG_NOSIGNAL, and a stop shuts the socket down under the request.
    SigpipeGuard sigpipe_guard;
    completed = client.send(request, response, error);
  }
  if (stop.stop_requested()) return Ok{};
  if (failure) return *failure;
  if (status != 0 && status != 200) {
    return make_error(Errc::kIo,
                      where_text + ": HTTP " + std::to_string(status) + ": " + error_text(pending));
  }
  if (!completed && error == httplib::Error::Read && status == 200) {
    return make_error(Errc::kIo, where_text + ": the watch stream broke or was idle for " +
                                     std::to_string(options_.watch_idle_timeout.count()) + " ms");
  }
  if (!completed) return make_error(Errc::kIo, where_text + ": " + describe(error));
  return make_error(Errc::kIo, where_text + ": the store ended the watch stream");
}

}  // namespace lunatic::cluster
