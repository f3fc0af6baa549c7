// A chat server: a room process, and one process per client. A client's first line is its
// name (the room welcomes it); every line after it goes to everyone else in the room as
// "name: line". The room holds
// a handle to each client's connection and writes to it; a client that leaves (or whose
// connection fails) is dropped from the room and the others are told.
//
//   lunatic run chat.wasm [PORT]          (default 4000; 0 picks a free port)
//   nc 127.0.0.1 4000                     (from several terminals)
#include <cstdio>
#include <cstdlib>
#include <lunatic/lunatic.hpp>
#include <map>
#include <string>
#include <variant>

namespace net = lunatic::net;

struct Join {
  std::uint64_t client;
  std::string name;
  net::TcpStream stream;
};
struct Say {
  std::uint64_t client;
  std::string text;
};
struct Leave {
  std::uint64_t client;
};
using RoomMessage = std::variant<Join, Say, Leave>;

struct Member {
  std::string name;
  net::TcpStream stream;
};

void broadcast(std::map<std::uint64_t, Member>& members, std::uint64_t from,
               const std::string& line) {
  for (auto it = members.begin(); it != members.end();) {
    if (it->first != from && !it->second.stream.write_all(line)) {
      it = members.erase(it);  // a connection that fails leaves the room
    } else {
      ++it;
    }
  }
}

void room(lunatic::Mailbox<RoomMessage> mailbox) {
  std::map<std::uint64_t, Member> members;
  for (;;) {
    auto message = mailbox.receive();
    if (!message) continue;  // a message that does not decode is dropped
    if (auto* join = std::get_if<Join>(&*message)) {
      broadcast(members, join->client, "* " + join->name + " joined\n");
      const std::string welcome = "* welcome, " + join->name + " (" +
                                  std::to_string(members.size() + 1) + " in the room)\n";
      if (join->stream.write_all(welcome)) {
        members.emplace(join->client, Member{join->name, std::move(join->stream)});
      }
    } else if (auto* say = std::get_if<Say>(&*message)) {
      auto it = members.find(say->client);
      if (it != members.end())
        broadcast(members, say->client, it->second.name + ": " + say->text + "\n");
    } else if (auto* leave = std::get_if<Leave>(&*message)) {
      auto it = members.find(leave->client);
      if (it == members.end()) continue;
      const std::string name = it->second.name;
      members.erase(it);
      broadcast(members, leave->client, "* " + name + " left\n");
    }
  }
}

struct ClientStart {
  net::TcpStream stream;
  lunatic::Process<RoomMessage> room;
};

// Reads lines from the client and passes them to the room until the client goes.
void client(ClientStart start, lunatic::Mailbox<int>) {
  const std::uint64_t me = lunatic::this_process_id().value;
  std::string pending;
  bool named = false;
  std::uint8_t buffer[1024];
  for (;;) {
    auto n = start.stream.read(buffer);
    if (!n || *n == 0) break;
    pending.append(reinterpret_cast<const char*>(buffer), *n);
    std::size_t end;
    while ((end = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, end);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      pending.erase(0, end + 1);
      if (!named) {
        start.room.send(Join{me, line.empty() ? "anonymous" : line, start.stream.clone()});
        named = true;
      } else {
        start.room.send(Say{me, line});
      }
    }
    if (pending.size() > 4096) break;  // a line too long: this client is cut off
  }
  if (named) start.room.send(Leave{me});
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 4000);
  auto listener = net::TcpListener::bind(net::SocketAddress::v4({127, 0, 0, 1}, port));
  if (!listener) {
    std::fprintf(stderr, "chat: %s\n", listener.error().message.c_str());
    return 1;
  }
  auto the_room = lunatic::spawn(&room).value();
  std::printf("chat: listening on %s\n", listener->local_address().value().to_string().c_str());
  for (;;) {
    auto accepted = listener->accept();
    if (!accepted) continue;
    if (!lunatic::spawn(&client, ClientStart{std::move(accepted->stream), the_room}))
      std::fprintf(stderr, "chat: cannot spawn a process for a client\n");
  }
}
