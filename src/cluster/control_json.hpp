// etcd v3's JSON gateway encoding, for the requests and responses control_server.hpp serves,
// as etcd 3.4's grpc-gateway (JSONPb with OrigName) has it:
// - output: proto field names, in proto field order; int64 and uint64 as decimal strings; bytes
//   as standard base64; enums by name; fields at their default value (false, 0, "", empty
//   lists) left out;
// - input: proto names or lowerCamel ones; integers as numbers or strings; enums by name or
//   number; null as absent; unknown fields ignored (etcd 3.4 ignores them too).
// Thread: any; the functions keep no state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/base64.hpp"  // keys and values travel as standard base64
#include "cluster/kv_store.hpp"
#include "common/error.hpp"

namespace lunatic::cluster::control {

using Json = nlohmann::ordered_json;

// A request body as the gateway reads it: one or more JSON objects one after another (the
// keepalive and watch streams send several); an empty body is one empty object.
Expected<std::vector<Json>> parse_objects(std::string_view body);

// The response header: the server's ids and term, and the revision of the answer.
struct HeaderIds {
  std::uint64_t cluster_id = 0;
  std::uint64_t member_id = 0;
  std::uint64_t raft_term = 0;
};
Json encode_header(const HeaderIds& ids, std::int64_t revision);

struct LeaseGrantRequest {
  std::int64_t ttl = 0;
  std::int64_t id = 0;
};
struct LeaseIdRequest {  // revoke and keepalive
  std::int64_t id = 0;
};
struct LeaseTimeToLiveRequest {
  std::int64_t id = 0;
  bool keys = false;
};
struct WatchCreateRequest {
  KeyRange range;
  std::int64_t start_revision = 0;
  bool prev_kv = false;
  bool progress_notify = false;
  bool no_put = false;
  bool no_delete = false;
  std::int64_t watch_id = 0;
};
// A watch stream's request: a create, or something this server accepts and ignores (cancel,
// progress), as etcd ignores what it does not know.
struct WatchRequest {
  bool is_create = false;
  WatchCreateRequest create;
};
struct CompactionRequest {
  std::int64_t revision = 0;
};

// Each fails with kInvalidArgument and a message naming the field.
Expected<RangeRequest> decode_range(const Json& body);
Expected<PutRequest> decode_put(const Json& body);
Expected<DeleteRangeRequest> decode_delete_range(const Json& body);
Expected<TxnRequest> decode_txn(const Json& body);
Expected<LeaseGrantRequest> decode_lease_grant(const Json& body);
Expected<LeaseIdRequest> decode_lease_id(const Json& body, std::string_view message_name);
Expected<LeaseTimeToLiveRequest> decode_lease_time_to_live(const Json& body);
Expected<WatchRequest> decode_watch(const Json& body);
Expected<CompactionRequest> decode_compaction(const Json& body);

Json encode_kv(const StoredKey& kv);
Json encode_event(const Event& event);
Json encode_range(const RangeResponse& response, const Json& header);
Json encode_put(const PutResponse& response, const Json& header);
Json encode_delete_range(const DeleteRangeResponse& response, const Json& header);
// Inner responses carry a header with their revision only, as etcd's do.
Json encode_txn(const TxnResponse& response, const Json& header);
Json encode_lease_grant(const LeaseGrantResponse& response, const Json& header);
Json encode_lease_keepalive(const LeaseKeepAliveResponse& response, const Json& header);
Json encode_lease_time_to_live(const LeaseTimeToLiveResponse& response, const Json& header);

// One message of a watch stream.
struct WatchResponse {
  std::int64_t watch_id = 0;
  bool created = false;
  bool canceled = false;
  std::int64_t compact_revision = 0;
  std::string cancel_reason;
  std::vector<Event> events;
};
Json encode_watch(const WatchResponse& response, const Json& header);

// The gateway's error body, as etcd 3.4 sends it: {"error": m, "message": m, "code": grpc code}.
Json encode_error(std::string_view message, GrpcCode code);
// The HTTP status grpc-gateway gives a gRPC code.
int http_status_of(GrpcCode code);

// A compact one-line dump; bytes that are not UTF-8 are replaced, not thrown on.
std::string dump(const Json& value);

}  // namespace lunatic::cluster::control
