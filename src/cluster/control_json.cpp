#include "cluster/control_json.hpp"

#include <array>
#include <charconv>
#include <initializer_list>
#include <optional>

namespace lunatic::cluster::control {
namespace {

Error bad_request(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

// "range_end" -> "rangeEnd": protobuf's JSON name, which jsonpb also accepts.
std::string lower_camel(std::string_view proto_name) {
  std::string out;
  bool upper = false;
  for (char c : proto_name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

// The fields of one input message, looked up by proto name whichever spelling was sent.
class Fields {
 public:
  static Expected<Fields> of(const Json& body, std::string_view message,
                             std::initializer_list<std::string_view> known) {
    Fields fields;
    fields.message_ = message;
    if (body.is_null()) return fields;
    if (!body.is_object()) {
      return bad_request("expected a JSON object for " + std::string(message));
    }
    for (const auto& [name, value] : body.items()) {
      std::optional<std::string_view> proto;
      for (std::string_view candidate : known) {
        if (name == candidate || name == lower_camel(candidate)) proto = candidate;
      }
      // etcd's gateway ignores fields it does not know (grpc-gateway allows unknown fields).
      if (proto && !value.is_null()) fields.values_.emplace_back(*proto, &value);
    }
    return fields;
  }

  const Json* find(std::string_view proto_name) const {
    const Json* found = nullptr;
    for (const auto& [name, value] : values_) {
      if (name == proto_name) found = value;  // the last one, as a JSON decoder keeps
    }
    return found;
  }

  Expected<std::int64_t> int64(std::string_view name) const {
    const Json* value = find(name);
    if (value == nullptr) return std::int64_t{0};
    if (value->is_number_unsigned() && value->get<std::uint64_t>() > INT64_MAX) {
      return bad_request(where(name) + ": out of the int64 range");
    }
    if (value->is_number_integer()) return value->get<std::int64_t>();
    if (value->is_string()) {
      const auto& text = value->get_ref<const std::string&>();
      std::int64_t parsed = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
      if (error == std::errc() && end == text.data() + text.size() && !text.empty()) return parsed;
    }
    return bad_request(where(name) + ": not an int64");
  }

  Expected<bool> boolean(std::string_view name) const {
    const Json* value = find(name);
    if (value == nullptr) return false;
    if (!value->is_boolean()) return bad_request(where(name) + ": not a bool");
    return value->get<bool>();
  }

  Expected<std::string> bytes(std::string_view name) const {
    const Json* value = find(name);
    if (value == nullptr) return std::string();
    if (!value->is_string()) return bad_request(where(name) + ": not a base64 string");
    auto decoded = base64_decode(value->get_ref<const std::string&>());
    if (!decoded) return bad_request(where(name) + ": " + decoded.error().message);
    return decoded;
  }

  // An enum by name or number; `names` in number order.
  Expected<int> enumeration(std::string_view name,
                            std::initializer_list<std::string_view> names) const {
    const Json* value = find(name);
    if (value == nullptr) return 0;
    if (value->is_number_integer()) {
      const auto number = value->get<std::int64_t>();
      if (number >= 0 && number < static_cast<std::int64_t>(names.size())) {
        return static_cast<int>(number);
      }
    } else if (value->is_string()) {
      int index = 0;
      for (std::string_view candidate : names) {
        if (value->get_ref<const std::string&>() == candidate) return index;
        ++index;
      }
    }
    return bad_request(where(name) + ": unknown enum value " + value->dump());
  }

  std::string where(std::string_view name) const {
    return "field \"" + std::string(name) + "\" of " + message_;
  }

 private:
  std::string message_;
  std::vector<std::pair<std::string_view, const Json*>> values_;
};

// Sets `out` from `result` or returns its error from the enclosing function.
#define LUNATIC_TRY_ASSIGN(out, result)         \
  do {                                          \
    auto lunatic_try_value = (result);          \
    if (!lunatic_try_value) {                   \
      return lunatic_try_value.error();         \
    }                                           \
    out = std::move(lunatic_try_value.value()); \
  } while (false)

std::string int64_string(std::int64_t value) { return std::to_string(value); }

Json header_with_revision(std::int64_t revision) {
  Json header = Json::object();
  if (revision != 0) header["revision"] = int64_string(revision);
  return header;
}

void put_int64(Json& out, const char* name, std::int64_t value) {
  if (value != 0) out[name] = int64_string(value);
}

Expected<RangeRequest> decode_range_fields(const Json& body) {
  // sort_order, min/max revisions and serializable are etcd's too; this store has no use for
  // them and refuses rather than ignores them, so that no client gets a silently wrong answer.
  auto fields = Fields::of(body, "etcdserverpb.RangeRequest",
                           {"key", "range_end", "limit", "revision", "keys_only", "count_only",
                            "serializable", "sort_order", "sort_target", "min_mod_revision",
                            "max_mod_revision", "min_create_revision", "max_create_revision"});
  if (!fields) return fields.error();
  for (std::string_view unsupported :
       {"sort_order", "sort_target", "min_mod_revision", "max_mod_revision", "min_create_revision",
        "max_create_revision"}) {
    if (const Json* value = fields->find(unsupported);
        value != nullptr && *value != 0 && *value != "0" && *value != "NONE" && *value != "KEY") {
      return bad_request(fields->where(unsupported) + ": not supported by lunatic control");
    }
  }
  RangeRequest request;
  LUNATIC_TRY_ASSIGN(request.range.key, fields->bytes("key"));
  LUNATIC_TRY_ASSIGN(request.range.range_end, fields->bytes("range_end"));
  LUNATIC_TRY_ASSIGN(request.limit, fields->int64("limit"));
  LUNATIC_TRY_ASSIGN(request.revision, fields->int64("revision"));
  LUNATIC_TRY_ASSIGN(request.keys_only, fields->boolean("keys_only"));
  LUNATIC_TRY_ASSIGN(request.count_only, fields->boolean("count_only"));
  bool serializable = false;  // one member: every read is serializable and linearizable
  LUNATIC_TRY_ASSIGN(serializable, fields->boolean("serializable"));
  (void)serializable;
  return request;
}

Expected<Compare> decode_compare(const Json& body) {
  auto fields = Fields::of(body, "etcdserverpb.Compare",
                           {"result", "target", "key", "version", "create_revision", "mod_revision",
                            "value", "lease", "range_end"});
  if (!fields) return fields.error();
  Compare compare;
  int result = 0;
  int target = 0;
  LUNATIC_TRY_ASSIGN(result,
                     fields->enumeration("result", {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"}));
  LUNATIC_TRY_ASSIGN(target,
                     fields->enumeration("target", {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"}));
  compare.result = static_cast<Compare::Result>(result);
  compare.target = static_cast<Compare::Target>(target);
  LUNATIC_TRY_ASSIGN(compare.range.key, fields->bytes("key"));
  LUNATIC_TRY_ASSIGN(compare.range.range_end, fields->bytes("range_end"));
  // The operand is a oneof: only the member that matches the target counts (etcd's compareKV
  // compares against zero otherwise).
  switch (compare.target) {
    case Compare::Target::kVersion:
      LUNATIC_TRY_ASSIGN(compare.number, fields->int64("version"));
      break;
    case Compare::Target::kCreate:
      LUNATIC_TRY_ASSIGN(compare.number, fields->int64("create_revision"));
      break;
    case Compare::Target::kMod:
      LUNATIC_TRY_ASSIGN(compare.number, fields->int64("mod_revision"));
      break;
    case Compare::Target::kLease:
      LUNATIC_TRY_ASSIGN(compare.number, fields->int64("lease"));
      break;
    case Compare::Target::kValue:
      LUNATIC_TRY_ASSIGN(compare.value, fields->bytes("value"));
      break;
  }
  return compare;
}

Expected<RequestOp> decode_request_op(const Json& body) {
  auto fields = Fields::of(body, "etcdserverpb.RequestOp",
                           {"request_range", "request_put", "request_delete_range", "request_txn"});
  if (!fields) return fields.error();
  if (const Json* range = fields->find("request_range")) {
    auto request = decode_range_fields(*range);
    if (!request) return request.error();
    return RequestOp(std::move(*request));
  }
  if (const Json* put = fields->find("request_put")) {
    auto request = decode_put(*put);
    if (!request) return request.error();
    return RequestOp(std::move(*request));
  }
  if (const Json* del = fields->find("request_delete_range")) {
    auto request = decode_delete_range(*del);
    if (!request) return request.error();
    return RequestOp(std::move(*request));
  }
  if (fields->find("request_txn") != nullptr) {
    return bad_request("request_txn: nested transactions are not supported by lunatic control");
  }
  return bad_request(std::string(kErrKeyNotFound));  // etcd's answer to an empty operation
}

Expected<std::vector<RequestOp>> decode_ops(const Fields& fields, std::string_view name) {
  std::vector<RequestOp> ops;
  const Json* list = fields.find(name);
  if (list == nullptr) return ops;
  if (!list->is_array()) return bad_request(fields.where(name) + ": not a list");
  for (const Json& item : *list) {
    auto op = decode_request_op(item);
    if (!op) return op.error();
    ops.push_back(std::move(*op));
  }
  return ops;
}

}  // namespace

Expected<std::vector<Json>> parse_objects(std::string_view body) {
  std::vector<Json> objects;
  std::size_t at = 0;
  const auto skip_space = [&] {
    while (at < body.size() &&
           (body[at] == ' ' || body[at] == '\t' || body[at] == '\n' || body[at] == '\r')) {
      ++at;
    }
  };
  skip_space();
  if (at == body.size()) {
    objects.emplace_back(Json::object());
    return objects;
  }
  while (at < body.size()) {
    // One top-level object: find its end by brace depth outside strings, then parse it.
    if (body[at] != '{') return bad_request("expected a JSON object at byte " + std::to_string(at));
    const std::size_t begin = at;
    int depth = 0;
    bool in_string = false;
    for (; at < body.size(); ++at) {
      const char c = body[at];
      if (in_string) {
        if (c == '\\') {
          ++at;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        ++at;
        break;
      }
    }
    Json object = Json::parse(body.substr(begin, at - begin), nullptr, false);
    if (object.is_discarded() || depth != 0) {
      return bad_request("malformed JSON object at byte " + std::to_string(begin));
    }
    objects.push_back(std::move(object));
    skip_space();
  }
  return objects;
}

Json encode_header(const HeaderIds& ids, std::int64_t revision) {
  Json header = Json::object();
  if (ids.cluster_id != 0) header["cluster_id"] = std::to_string(ids.cluster_id);
  if (ids.member_id != 0) header["member_id"] = std::to_string(ids.member_id);
  if (revision != 0) header["revision"] = int64_string(revision);
  if (ids.raft_term != 0) header["raft_term"] = std::to_string(ids.raft_term);
  return header;
}

Expected<RangeRequest> decode_range(const Json& body) { return decode_range_fields(body); }

Expected<PutRequest> decode_put(const Json& body) {
  auto fields = Fields::of(body, "etcdserverpb.PutRequest",
                           {"key", "value", "lease", "prev_kv", "ignore_value", "ignore_lease"});
  if (!fields) return fields.error();
  PutRequest request;
  LUNATIC_TRY_ASSIGN(request.key, fields->bytes("key"));
  LUNATIC_TRY_ASSIGN(request.value, fields->bytes("value"));
  LUNATIC_TRY_ASSIGN(request.lease, fields->int64("lease"));
  LUNATIC_TRY_ASSIGN(request.prev_kv, fields->boolean("prev_kv"));
  LUNATIC_TRY_ASSIGN(request.ignore_value, fields->boolean("ignore_value"));
  LUNATIC_TRY_ASSIGN(request.ignore_lease, fields->boolean("ignore_lease"));
  return request;
}

Expected<DeleteRangeRequest> decode_delete_range(const Json& body) {
  auto fields =
      Fields::of(body, "etcdserverpb.DeleteRangeRequest", {"key", "range_end", "prev_kv"});
  if (!fields) return fields.error();
  DeleteRangeRequest request;
  LUNATIC_TRY_ASSIGN(request.range.key, fields->bytes("key"));
  LUNATIC_TRY_ASSIGN(request.range.range_end, fields->bytes("range_end"));
  LUNATIC_TRY_ASSIGN(request.prev_kv, fields->boolean("prev_kv"));
  return request;
}

Expected<TxnRequest> decode_txn(const Json& body) {
  auto fields = Fields::of(body, "etcdserverpb.TxnRequest", {"compare", "success", "failure"});
  if (!fields) return fields.error();
  TxnRequest request;
  if (const Json* compares = fields->find("compare")) {
    if (!compares->is_array()) return bad_request(fields->where("compare") + ": not a list");
    for (const Json& item : *compares) {
      auto compare = decode_compare(item);
      if (!compare) return compare.error();
      request.compare.push_back(std::move(*compare));
    }
  }
  LUNATIC_TRY_ASSIGN(request.success, decode_ops(*fields, "success"));
  LUNATIC_TRY_ASSIGN(request.failure, decode_ops(*fields, "failure"));
  return request;
}

Expected<LeaseGrantRequest> decode_lease_grant(const Json& body) {
  auto fields = Fields::of(body, "etcdserverpb.LeaseGrantRequest", {"TTL", "ID"});
  if (!fields) return fields.error();
  LeaseGrantRequest request;
  LUNATIC_TRY_ASSIGN(request.ttl, fields->int64("TTL"));
  LUNATIC_TRY_ASSIGN(request.id, fields->int64("ID"));
  return request;
}

Expected<LeaseIdRequest> decode_lease_id(const Json& body, std::string_view message_name) {
  auto fields = Fields::of(body, message_name, {"ID"});
  if (!fields) return fields.error();
  LeaseIdRequest request;
  LUNATIC_TRY_ASSIGN(request.id, fields->int64("ID"));
  return request;
}

Expected<LeaseTimeToLiveRequest> decode_lease_time_to_live(const Json& body) {
  auto fields = Fields::of(body, "etcdserverpb.LeaseTimeToLiveRequest", {"ID", "keys"});
  if (!fields) return fields.error();
  LeaseTimeToLiveRequest request;
  LUNATIC_TRY_ASSIGN(request.id, fields->int64("ID"));
  LUNATIC_TRY_ASSIGN(request.keys, fields->boolean("keys"));
  return request;
}

Expected<WatchRequest> decode_watch(const Json& body) {
  auto fields = Fields::of(body, "etcdserverpb.WatchRequest",
                           {"create_request", "cancel_request", "progress_request"});
  if (!fields) return fields.error();
  WatchRequest request;
  const Json* create = fields->find("create_request");
  if (create == nullptr) return request;
  auto create_fields = Fields::of(*create, "etcdserverpb.WatchCreateRequest",
                                  {"key", "range_end", "start_revision", "progress_notify",
                                   "filters", "prev_kv", "watch_id", "fragment"});
  if (!create_fields) return create_fields.error();
  request.is_create = true;
  WatchCreateRequest& c = request.create;
  LUNATIC_TRY_ASSIGN(c.range.key, create_fields->bytes("key"));
  LUNATIC_TRY_ASSIGN(c.range.range_end, create_fields->bytes("range_end"));
  LUNATIC_TRY_ASSIGN(c.start_revision, create_fields->int64("start_revision"));
  LUNATIC_TRY_ASSIGN(c.progress_notify, create_fields->boolean("progress_notify"));
  LUNATIC_TRY_ASSIGN(c.prev_kv, create_fields->boolean("prev_kv"));
  LUNATIC_TRY_ASSIGN(c.watch_id, create_fields->int64("watch_id"));
  bool fragment = false;  // responses are never split here
  LUNATIC_TRY_ASSIGN(fragment, create_fields->boolean("fragment"));
  (void)fragment;
  if (const Json* filters = create_fields->find("filters")) {
    if (!filters->is_array()) return bad_request(create_fields->where("filters") + ": not a list");
    for (const Json& filter : *filters) {
      if (filter == "NOPUT" || filter == 0) {
        c.no_put = true;
      } else if (filter == "NODELETE" || filter == 1) {
        c.no_delete = true;
      } else {
        return bad_request(create_fields->where("filters") + ": unknown filter " + filter.dump());
      }
    }
  }
  return request;
}

Expected<CompactionRequest> decode_compaction(const Json& body) {
  auto fields = Fields::of(body, "etcdserverpb.CompactionRequest", {"revision", "physical"});
  if (!fields) return fields.error();
  CompactionRequest request;
  LUNATIC_TRY_ASSIGN(request.revision, fields->int64("revision"));
  return request;
}

Json encode_kv(const StoredKey& kv) {
  Json out = Json::object();
  if (!kv.key.empty()) out["key"] = base64_encode(kv.key);
  put_int64(out, "create_revision", kv.create_revision);
  put_int64(out, "mod_revision", kv.mod_revision);
  put_int64(out, "version", kv.version);
  if (!kv.value.empty()) out["value"] = base64_encode(kv.value);
  put_int64(out, "lease", kv.lease);
  return out;
}

Json encode_event(const Event& event) {
  Json out = Json::object();
  if (event.type == Event::Type::kDelete) out["type"] = "DELETE";
  out["kv"] = encode_kv(event.kv);
  if (event.prev_kv) out["prev_kv"] = encode_kv(*event.prev_kv);
  return out;
}

Json encode_range(const RangeResponse& response, const Json& header) {
  Json out = Json::object();
  out["header"] = header;
  if (!response.kvs.empty()) {
    Json kvs = Json::array();
    for (const StoredKey& kv : response.kvs) kvs.push_back(encode_kv(kv));
    out["kvs"] = std::move(kvs);
  }
  if (response.more) out["more"] = true;
  put_int64(out, "count", response.count);
  return out;
}

Json encode_put(const PutResponse& response, const Json& header) {
  Json out = Json::object();
  out["header"] = header;
  if (response.prev_kv) out["prev_kv"] = encode_kv(*response.prev_kv);
  return out;
}

Json encode_delete_range(const DeleteRangeResponse& response, const Json& header) {
  Json out = Json::object();
  out["header"] = header;
  put_int64(out, "deleted", response.deleted);
  if (!response.prev_kvs.empty()) {
    Json kvs = Json::array();
    for (const StoredKey& kv : response.prev_kvs) kvs.push_back(encode_kv(kv));
    out["prev_kvs"] = std::move(kvs);
  }
  return out;
}

Json encode_txn(const TxnResponse& response, const Json& header) {
  Json out = Json::object();
  out["header"] = header;
  if (response.succeeded) out["succeeded"] = true;
  if (!response.responses.empty()) {
    Json list = Json::array();
    for (const ResponseOp& op : response.responses) {
      Json item = Json::object();
      if (const auto* range = std::get_if<RangeResponse>(&op)) {
        item["response_range"] = encode_range(*range, header_with_revision(range->revision));
      } else if (const auto* put = std::get_if<PutResponse>(&op)) {
        item["response_put"] = encode_put(*put, header_with_revision(put->revision));
      } else {
        const auto& del = std::get<DeleteRangeResponse>(op);
        item["response_delete_range"] =
            encode_delete_range(del, header_with_revision(del.revision));
      }
      list.push_back(std::move(item));
    }
    out["responses"] = std::move(list);
  }
  return out;
}

Json encode_lease_grant(const LeaseGrantResponse& response, const Json& header) {
  Json out = Json::object();
  out["header"] = header;
  put_int64(out, "ID", response.id);
  put_int64(out, "TTL", response.ttl);
  return out;
}

Json encode_lease_keepalive(const LeaseKeepAliveResponse& response, const Json& header) {
  Json out = Json::object();
  out["header"] = header;
  put_int64(out, "ID", response.id);
  put_int64(out, "TTL", response.ttl);
  return out;
}

Json encode_lease_time_to_live(const LeaseTimeToLiveResponse& response, const Json& header) {
  Json out = Json::object();
  out["header"] = header;
  put_int64(out, "ID", response.id);
  put_int64(out, "TTL", response.ttl);
  put_int64(out, "grantedTTL", response.granted_ttl);
  if (!response.keys.empty()) {
    Json keys = Json::array();
    for (const std::string& key : response.keys) keys.push_back(base64_encode(key));
    out["keys"] = std::move(keys);
  }
  return out;
}

Json encode_watch(const WatchResponse& response, const Json& header) {
  Json out = Json::object();
  out["header"] = header;
  put_int64(out, "watch_id", response.watch_id);
  if (response.created) out["created"] = true;
  if (response.canceled) out["canceled"] = true;
  put_int64(out, "compact_revision", response.compact_revision);
  if (!response.cancel_reason.empty()) out["cancel_reason"] = response.cancel_reason;
  if (!response.events.empty()) {
    Json events = Json::array();
    for (const Event& event : response.events) events.push_back(encode_event(event));
    out["events"] = std::move(events);
  }
  return out;
}

Json encode_error(std::string_view message, GrpcCode code) {
  Json out = Json::object();
  out["error"] = std::string(message);
  out["message"] = std::string(message);
  out["code"] = static_cast<int>(code);
  return out;
}

int http_status_of(GrpcCode code) {
  switch (code) {
    case GrpcCode::kInvalidArgument:
    case GrpcCode::kOutOfRange:
      return 400;
    case GrpcCode::kNotFound:
      return 404;
    case GrpcCode::kPermissionDenied:
      return 403;
    case GrpcCode::kFailedPrecondition:
      return 412;  // grpc-gateway v1's mapping, which etcd 3.4 uses
    case GrpcCode::kUnimplemented:
      return 501;
    case GrpcCode::kUnauthenticated:
      return 401;
  }
  return 500;
}

std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

#undef LUNATIC_TRY_ASSIGN

}  // namespace lunatic::cluster::control
