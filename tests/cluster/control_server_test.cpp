// ControlServer over real HTTP on 127.0.0.1, with cpp-httplib's client: the etcd gateway calls,
// their exact JSON, the watch stream, errors, and stop().
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/control_json.hpp"
#include "cluster/control_server.hpp"
#include "cluster/join_token.hpp"
#include "shared/temp_dir.hpp"

namespace lunatic::cluster {
namespace {

using namespace std::chrono_literals;
using control::Json;

// The header's cluster and member ids are random per server: masked so whole bodies compare.
Json masked(Json body) {
  std::function<void(Json&)> mask = [&](Json& value) {
    if (value.is_object()) {
      for (auto& [name, member] : value.items()) {
        if (name == "cluster_id" || name == "member_id") {
          member = "X";
        } else {
          mask(member);
        }
      }
    } else if (value.is_array()) {
      for (Json& item : value) mask(item);
    }
  };
  mask(body);
  return body;
}

// A watch stream read on its own thread and connection, line by line.
class WatchClient {
 public:
  WatchClient(int port, std::string body) : client_("127.0.0.1", port) {
    client_.set_read_timeout(30s);
    thread_ = std::thread([this, body = std::move(body)] {
      httplib::Request request;
      request.method = "POST";
      request.path = "/v3/watch";
      request.body = body;
      request.set_header("Content-Type", "application/json");
      request.content_receiver = [this](const char* data, std::size_t size, std::uint64_t,
                                        std::uint64_t) {
        std::lock_guard lock(mutex_);
        pending_.append(data, size);
        for (std::size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
          lines_.push_back(pending_.substr(0, nl));
          pending_.erase(0, nl + 1);
        }
        changed_.notify_all();
        return true;
      };
      auto result = client_.send(request);
      std::lock_guard lock(mutex_);
      status_ = result ? result->status : -1;
      error_ = httplib::to_string(result.error());
      ended_ = std::chrono::steady_clock::now();
      done_ = true;
      changed_.notify_all();
    });
  }
  ~WatchClient() {
    client_.stop();
    thread_.join();
  }

  // The first `count` lines as JSON, or fewer if they do not come within `timeout`.
  std::vector<Json> lines(std::size_t count, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return lines_.size() >= count || done_; });
    std::vector<Json> out;
    for (const std::string& line : lines_) out.push_back(Json::parse(line));
    return out;
  }
  // When the response ended, if it did within `timeout`.
  std::optional<std::chrono::steady_clock::time_point> ended(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return done_; });
    if (!done_) return std::nullopt;
    return ended_;
  }
  int status() {
    std::lock_guard lock(mutex_);
    return status_;
  }
  std::string error() {
    std::lock_guard lock(mutex_);
    return error_;
  }
  void disconnect() { client_.stop(); }

 private:
  httplib::Client client_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string pending_;
  std::vector<std::string> lines_;
  bool done_ = false;
  int status_ = 0;
  std::string error_;
  std::chrono::steady_clock::time_point ended_;
};

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ControlServerOptions options;
    options.state_dir = dir_.path() / "state";
    server_ = std::make_unique<ControlServer>(options);
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(10s);
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  // POSTs `body` to `path`; expects `status` and a JSON answer, which it returns.
  Json post(const std::string& path, const std::string& body, int status = 200) {
    auto result = client_->Post(path.c_str(), body, "application/json");
    EXPECT_TRUE(result) << path << ": " << httplib::to_string(result.error());
    if (!result) return Json();
    EXPECT_EQ(result->status, status) << path << " " << body << " -> " << result->body;
    Json parsed = Json::parse(result->body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << result->body;
    return parsed;
  }

  std::string grant(int ttl) {
    Json granted = post("/v3/lease/grant", R"({"TTL":")" + std::to_string(ttl) + R"("})");
    return granted.value("ID", "");
  }

  lunatic::testing::TempDir dir_{"lunatic-control"};
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

TEST_F(ControlServerTest, HealthSaysTrue) {
  auto result = client_->Get("/health");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, R"({"health":"true"})");
}

TEST_F(ControlServerTest, PutAndRangeAnswerInEtcdsExactJson) {
  Json put = post("/v3/kv/put", R"({"key":"Zm9v","value":"YmFy"})");
  EXPECT_EQ(control::dump(masked(put)),
            R"({"header":{"cluster_id":"X","member_id":"X","revision":"2","raft_term":"2"}})");
  EXPECT_TRUE(put["header"]["cluster_id"].is_string());
  Json range = post("/v3/kv/range", R"({"key":"Zm9v"})");
  // No "lease" (0), no "more" (false): defaults are left out; int64s are strings.
  EXPECT_EQ(control::dump(masked(range)),
            R"({"header":{"cluster_id":"X","member_id":"X","revision":"2","raft_term":"2"},)"
            R"("kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1",)"
            R"("value":"YmFy"}],"count":"1"})");
  Json missing = post("/v3/kv/range", R"({"key":"bm9uZQ=="})");
  EXPECT_FALSE(missing.contains("kvs"));
  EXPECT_FALSE(missing.contains("count"));
}

TEST_F(ControlServerTest, LeasesTxnAndDeleteWorkEndToEnd) {
  const std::string lease = grant(10);
  ASSERT_FALSE(lease.empty());
  EXPECT_EQ(lease.find_first_not_of("0123456789"), std::string::npos) << "a positive decimal";

  const std::string txn = R"({"compare":[{"key":"bmFtZQ==","target":"CREATE","result":"EQUAL",)"
                          R"("create_revision":"0"}],"success":[{"request_put":{"key":"bmFtZQ==",)"
                          R"("value":"YQ==","lease":")" +
                          lease + R"("}}],"failure":[{"request_range":{"key":"bmFtZQ=="}}]})";
  Json won = post("/v3/kv/txn", txn);
  EXPECT_EQ(control::dump(masked(won)),
            R"({"header":{"cluster_id":"X","member_id":"X","revision":"2","raft_term":"2"},)"
            R"("succeeded":true,"responses":[{"response_put":{"header":{"revision":"2"}}}]})");
  Json lost = post("/v3/kv/txn", txn);
  EXPECT_FALSE(lost.contains("succeeded"));
  const Json& kv = lost["responses"][0]["response_range"]["kvs"][0];
  EXPECT_EQ(kv["lease"], lease);
  EXPECT_EQ(kv["value"], "YQ==");

  Json alive = post("/v3/lease/keepalive", R"({"ID":")" + lease + R"("})");
  EXPECT_EQ(alive["result"]["ID"], lease);
  EXPECT_EQ(alive["result"]["TTL"], "10");

  Json ttl = post("/v3/lease/timetolive", R"({"ID":")" + lease + R"(","keys":true})");
  EXPECT_EQ(ttl["grantedTTL"], "10");
  EXPECT_EQ(ttl["keys"][0], "bmFtZQ==");

  Json deleted = post("/v3/kv/deleterange", R"({"key":"bmFtZQ==","prev_kv":true})");
  EXPECT_EQ(deleted["deleted"], "1");
  EXPECT_EQ(deleted["prev_kvs"][0]["value"], "YQ==");
  EXPECT_EQ(deleted["header"]["revision"], "3");

  Json revoked = post("/v3/lease/revoke", R"({"ID":")" + lease + R"("})");
  EXPECT_EQ(revoked["header"]["revision"], "3") << "no keys were left on it";
}

TEST_F(ControlServerTest, KeepaliveAnswersEachRequestOnItsOwnLine) {
  const std::string lease = grant(5);
  auto result = client_->Post("/v3/lease/keepalive", R"({"ID":")" + lease + R"("}{"ID":"12345"})",
                              "application/json");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  const std::string& body = result->body;
  const std::size_t first_end = body.find('\n');
  ASSERT_NE(first_end, std::string::npos);
  ASSERT_EQ(body.back(), '\n');
  Json first = Json::parse(body.substr(0, first_end));
  Json second = Json::parse(body.substr(first_end + 1));
  EXPECT_EQ(first["result"]["TTL"], "5");
  EXPECT_EQ(second["result"]["ID"], "12345");
  EXPECT_FALSE(second["result"].contains("TTL")) << "an unknown lease gets TTL 0, left out";
}

TEST_F(ControlServerTest, AWatchStreamSeesAPutMadeAfterItStarted) {
  ASSERT_EQ(post("/v3/kv/put", R"({"key":"bi8x","value":"YQ=="})")["header"]["revision"], "2");
  WatchClient watch(port_, R"({"create_request":{"key":"bi8=","range_end":"bjA="}})");
  auto created = watch.lines(1);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(control::dump(masked(created[0])),
            R"({"result":{"header":{"cluster_id":"X","member_id":"X","revision":"2",)"
            R"("raft_term":"2"},"created":true}})");

  post("/v3/kv/put", R"({"key":"bi8y","value":"Yg=="})");
  post("/v3/kv/put", R"({"key":"b3RoZXI=","value":"Yw=="})");  // "other": not watched
  post("/v3/kv/deleterange", R"({"key":"bi8x"})");
  auto events = watch.lines(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(control::dump(masked(events[1])),
            R"({"result":{"header":{"cluster_id":"X","member_id":"X","revision":"3",)"
            R"("raft_term":"2"},"events":[{"kv":{"key":"bi8y","create_revision":"3",)"
            R"("mod_revision":"3","version":"1","value":"Yg=="}}]}})");
  EXPECT_EQ(control::dump(masked(events[2])),
            R"({"result":{"header":{"cluster_id":"X","member_id":"X","revision":"5",)"
            R"("raft_term":"2"},"events":[{"type":"DELETE","kv":{"key":"bi8x",)"
            R"("mod_revision":"5"}}]}})");
}

TEST_F(ControlServerTest, AWatchFromAPastRevisionReplaysAndACompactedOneIsCanceled) {
  for (const char* value : {"MQ==", "Mg==", "Mw=="}) {
    post("/v3/kv/put", std::string(R"({"key":"aw==","value":")") + value + R"("})");  // 2, 3, 4
  }
  WatchClient replay(port_, R"({"create_request":{"key":"aw==","start_revision":"3"}})");
  auto lines = replay.lines(2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["result"]["events"].size(), 2u);
  EXPECT_EQ(lines[1]["result"]["header"]["revision"], "4");

  post("/v3/kv/compaction", R"({"revision":"4"})");
  WatchClient too_old(port_, R"({"createRequest":{"key":"aw==","startRevision":"2"}})");
  auto canceled = too_old.lines(2);
  ASSERT_EQ(canceled.size(), 2u);
  EXPECT_EQ(control::dump(masked(canceled[1])),
            R"({"result":{"header":{"cluster_id":"X","member_id":"X","raft_term":"2"},)"
            R"("canceled":true,"compact_revision":"4"}})");
}

TEST_F(ControlServerTest, BadRequestsGetAnErrorBodyAndTheServerGoesOn) {
  Json malformed = post("/v3/kv/put", R"({"key": "Zm9v")", 400);
  EXPECT_EQ(malformed["code"], 3);
  EXPECT_FALSE(malformed["error"].get<std::string>().empty());
  EXPECT_EQ(malformed["message"], malformed["error"]);

  Json no_key = post("/v3/kv/put", R"({"value":"YmFy"})", 400);
  EXPECT_EQ(no_key["error"], "etcdserver: key is not provided");

  Json not_a_number = post("/v3/kv/range", R"({"key":"Zm9v","limit":"one"})", 400);
  EXPECT_NE(not_a_number["error"].get<std::string>().find("limit"), std::string::npos);

  Json no_lease = post("/v3/kv/put", R"({"key":"Zm9v","value":"YmFy","lease":"99"})", 404);
  EXPECT_EQ(no_lease["error"], "etcdserver: requested lease not found");
  EXPECT_EQ(no_lease["code"], 5);

  Json revoke_unknown = post("/v3/lease/revoke", R"({"ID":"99"})", 404);
  EXPECT_EQ(revoke_unknown["code"], 5);

  Json bad_watch = post("/v3/watch", R"({"create_request":{"key":"!!"}})", 400);
  EXPECT_EQ(bad_watch["code"], 3);

  Json no_route = post("/v3/kv/nothing", "{}", 404);
  EXPECT_EQ(no_route["code"], 5);

  auto health = client_->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(server_->store().revision(), 1) << "nothing was written";
}

TEST_F(ControlServerTest, AnExpiredLeaseTakesItsKeysWithItOnTheServersTimer) {
  const std::string lease = grant(2);  // the minimum
  post("/v3/kv/put", R"({"key":"ZXBoZW1lcmFs","value":"eA==","lease":")" + lease + R"("})");
  WatchClient watch(port_, R"({"create_request":{"key":"ZXBoZW1lcmFs"}})");
  auto lines = watch.lines(2, 6s);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["result"]["events"][0]["type"], "DELETE");
  EXPECT_FALSE(post("/v3/kv/range", R"({"key":"ZXBoZW1lcmFs"})").contains("kvs"));
}

TEST_F(ControlServerTest, StopEndsAnOpenWatchWithinASecond) {
  WatchClient watch(port_, R"({"create_request":{"key":"aw=="}})");
  ASSERT_EQ(watch.lines(1).size(), 1u);
  client_.reset();  // no idle keep-alive connection of the fixture's to wait for
  const auto stopping = std::chrono::steady_clock::now();
  server_->stop();
  const auto stopped = std::chrono::steady_clock::now();
  auto ended = watch.ended(5s);
  ASSERT_TRUE(ended) << "the watch is still open";
  EXPECT_LT(*ended - stopping, 1s);
  EXPECT_EQ(watch.status(), 200) << "the stream ended cleanly, not cut: " << watch.error();
  EXPECT_LT(stopped - stopping, 2s);
}

TEST_F(ControlServerTest, AWatchWhoseClientLeftIsDropped) {
  {
    WatchClient watch(port_, R"({"create_request":{"key":"aw=="}})");
    ASSERT_EQ(watch.lines(1).size(), 1u);
    EXPECT_EQ(server_->store().watcher_count(), 1u);
    watch.disconnect();
  }
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server_->store().watcher_count() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(server_->store().watcher_count(), 0u);
}

TEST_F(ControlServerTest, TheJoinTokenIsWrittenForLocalNodesOnly) {
  const auto token_path = dir_.path() / "state" / kJoinTokenFile;
  auto token = read_join_token(token_path);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(*token, server_->join_token());
  EXPECT_EQ(token->size(), 64u);
  struct stat info {};
  ASSERT_EQ(::stat(token_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_.path() / "state").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
}

TEST(ControlServerStart, AGivenJoinTokenFileIsUsedAndABusyPortIsAnError) {
  lunatic::testing::TempDir dir("lunatic-control");
  dir.write("token", "a-token-of-enough-length\n");
  ControlServerOptions options;
  options.state_dir = dir.path() / "state";
  options.join_token_file = dir / "token";
  ControlServer first(options);
  auto port = first.start();
  ASSERT_TRUE(port) << port.error().message;
  EXPECT_EQ(first.join_token(), "a-token-of-enough-length");

  options.port = *port;
  ControlServer second(options);
  auto busy = second.start();
  ASSERT_FALSE(busy);
  EXPECT_NE(busy.error().message.find(std::to_string(*port)), std::string::npos);

  ControlServerOptions no_state;
  EXPECT_FALSE(ControlServer(no_state).start());
  dir.write("short", "abc");
  ControlServerOptions short_token;
  short_token.state_dir = dir.path() / "state2";
  short_token.join_token_file = dir / "short";
  EXPECT_FALSE(ControlServer(short_token).start());
}

}  // namespace
}  // namespace lunatic::cluster
