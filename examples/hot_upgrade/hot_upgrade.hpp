// What both versions of the hot_upgrade example share (v1.cpp, v2.cpp): an HTTP/1.1 keep-alive
// server with one process per connection, a stats server that counts requests, and a
// dispatcher that starts connection processes. Every process can hand its state to the other
// version, so the system moves between versions while clients keep their connections:
//
//   lunatic run --upgrade-socket /tmp/hot.sock hot_upgrade_v1.wasm 8080
//   curl localhost:8080/a                 # "v1: ..."
//   lunatic upgrade --socket /tmp/hot.sock hot_upgrade_v2.wasm
//   curl localhost:8080/a                 # "v2: ...", the count going on from v1's
//
// A version supplies `struct Version` with kName, the Stats server state, and
// body(path, counts, served_here): the response to one request. Connection processes keep
// their socket across an upgrade: it is a resource of the process, not of its code.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <lunatic/lunatic.hpp>
#include <lunatic/upgrade.hpp>
#include <string>
#include <vector>

namespace hot_upgrade {

namespace net = lunatic::net;
using namespace std::chrono_literals;

// The stats server's protocol, the same in both versions: a request noted, the counts now.
struct Note {
  std::string path;
};
struct Counts {
  std::int64_t total = 0;
  std::int64_t path = 0;  // requests for this path (v1 does not count them: -1)
};

// A connection process's state: what it hands over.
struct ConnectionState {
  std::uint64_t stream = 0;           // the socket's resource id, which the process keeps
  std::vector<std::uint8_t> pending;  // bytes of a request not complete yet
  std::int64_t served = 0;            // requests answered on this connection
  lunatic::ProcessId stats;
};

constexpr std::size_t kMaxRequest = 8192;
constexpr auto kReadTimeout = 100ms;  // how often an idle connection reaches a checkpoint

// The path of the request line "GET /path HTTP/1.1".
inline std::string request_path(const std::string& request) {
  const std::size_t start = request.find(' ');
  const std::size_t end = start == std::string::npos ? start : request.find(' ', start + 1);
  if (end == std::string::npos) return "/";
  return request.substr(start + 1, end - start - 1);
}

inline std::string http_response(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

template <class Version>
using StatsRef = lunatic::ServerRef<typename Version::Stats>;

// Answers requests on the connection until the client closes it. Between reads it reaches a
// checkpoint, where an upgrade moves it to the other version's serve_connection.
template <class Version>
void serve_connection(ConnectionState& state, const net::TcpStream& stream) {
  lunatic::upgrade::hand_over("connection", state);
  stream.set_read_timeout(kReadTimeout);
  const StatsRef<Version> stats(state.stats);
  std::uint8_t buffer[4096];
  for (;;) {
    lunatic::upgrade::checkpoint();
    auto n = stream.read(buffer);
    if (!n && n.error().kind == lunatic::ErrorKind::kTimeout) continue;
    if (!n || *n == 0) return;
    state.pending.insert(state.pending.end(), buffer, buffer + *n);
    for (;;) {
      const std::string pending(state.pending.begin(), state.pending.end());
      const std::size_t end = pending.find("\r\n\r\n");
      if (end == std::string::npos) break;
      const std::string path = request_path(pending.substr(0, end));
      state.pending.erase(state.pending.begin(),
                          state.pending.begin() + static_cast<std::ptrdiff_t>(end + 4));
      ++state.served;
      auto counts = stats.request(Note{path}, 5000ms);
      if (!counts) return;
      if (!stream.write_all(http_response(Version::body(path, *counts, state.served)))) return;
    }
    if (state.pending.size() > kMaxRequest) return;
  }
}

template <class Version>
void resume_connection(ConnectionState& state) {
  const net::TcpStream stream(state.stream);
  serve_connection<Version>(state, stream);
}

struct ConnectionArgs {
  net::TcpStream stream;
  lunatic::ProcessId stats;
};

template <class Version>
void connection(ConnectionArgs args, lunatic::Mailbox<int>) {
  ConnectionState state{args.stream.id(), {}, 0, args.stats};
  serve_connection<Version>(state, args.stream);
}

// Starts a connection process, from this version's code, for each socket main accepts. It
// waits in a receive, so an upgrade moves it at once, and later connections get the new code.
struct DispatcherState {
  lunatic::ProcessId stats;
};

template <class Version>
void dispatch(DispatcherState& state) {
  lunatic::upgrade::hand_over("dispatcher", state);
  const lunatic::Mailbox<net::TcpStream> mailbox;
  for (;;) {
    auto stream = mailbox.receive();
    if (!stream) continue;
    if (!lunatic::spawn(&connection<Version>, ConnectionArgs{std::move(*stream), state.stats})) {
      std::fprintf(stderr, "hot_upgrade: cannot spawn a process for a client\n");
    }
  }
}

template <class Version>
void dispatcher(lunatic::ProcessId stats, lunatic::Mailbox<net::TcpStream>) {
  DispatcherState state{stats};
  dispatch<Version>(state);
}

// What a version takes over: connections, the dispatcher and the stats server.
template <class Version>
bool add_takeovers() {
  using lunatic::upgrade::takeover;
  lunatic::upgrade::add_takeover(
      takeover<ConnectionState, &resume_connection<Version>>("connection"));
  lunatic::upgrade::add_takeover(takeover<DispatcherState, &dispatch<Version>>("dispatcher"));
  return lunatic::upgrade::add_takeover(
      lunatic::upgrade::detail::server_takeover<typename Version::Stats>());
}

// The main process: it only accepts (a process blocked in accept never reaches a message
// boundary) and hands each socket to the dispatcher, which upgrades like any server.
template <class Version>
int run(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8080);
  auto listener = net::TcpListener::bind(net::SocketAddress::v4({127, 0, 0, 1}, port));
  if (!listener) {
    std::fprintf(stderr, "hot_upgrade: %s\n", listener.error().message.c_str());
    return 1;
  }
  auto stats = lunatic::start_server<typename Version::Stats>(0);
  if (!stats) {
    std::fprintf(stderr, "hot_upgrade: %s\n", stats.error().message.c_str());
    return 1;
  }
  auto dispatcher_process = lunatic::spawn(&dispatcher<Version>, stats->id());
  if (!dispatcher_process) {
    std::fprintf(stderr, "hot_upgrade: %s\n", dispatcher_process.error().message.c_str());
    return 1;
  }
  std::printf("hot_upgrade %s: listening on http://%s/\n", Version::kName,
              listener->local_address().value().to_string().c_str());
  std::fflush(stdout);
  for (;;) {
    auto accepted = listener->accept();
    if (accepted) dispatcher_process->send(accepted->stream);
  }
}

}  // namespace hot_upgrade
