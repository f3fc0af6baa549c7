// A key-value store as a named server: clients in other processes look it up by name and use
// request/reply with a timeout.
#include <cstdio>
#include <lunatic/lunatic.hpp>
#include <map>
#include <optional>
#include <string>
#include <variant>

using namespace std::chrono_literals;

struct Put {
  std::string key;
  std::string value;
};
struct Get {
  std::string key;
};
struct Remove {
  std::string key;
};

struct Store {
  using Arg = std::map<std::string, std::string>;  // the initial contents
  using Request = std::variant<Put, Get, Remove>;
  using Response = std::optional<std::string>;  // the value (Get) or the one replaced (Put, Remove)

  static Store init(Arg initial) { return Store{std::move(initial)}; }

  Response handle_request(const Request& request) {
    if (auto* put = std::get_if<Put>(&request)) {
      auto [it, inserted] = entries.try_emplace(put->key, put->value);
      if (inserted) return std::nullopt;
      return std::exchange(it->second, put->value);
    }
    const std::string& key = std::holds_alternative<Get>(request) ? std::get<Get>(request).key
                                                                  : std::get<Remove>(request).key;
    auto it = entries.find(key);
    if (it == entries.end()) return std::nullopt;
    std::string value = it->second;
    if (std::holds_alternative<Remove>(request)) entries.erase(it);
    return value;
  }

  void terminate() { std::printf("store: stopping with %zu entries\n", entries.size()); }

  std::map<std::string, std::string> entries;
};

struct ClientJob {
  int number;
  lunatic::Process<bool> done;  // told when the client has written its key
};

// A client process: finds the store by name and writes its own key.
void client(ClientJob job, lunatic::Mailbox<int>) {
  auto store = lunatic::ServerRef<Store>::lookup("kv").value();
  std::string key = "client-" + std::to_string(job.number);
  store.request(Put{key, "hello from " + key}, 1s).value();
  job.done.send(true);
}

int main() {
  auto store = lunatic::start_server<Store>({{"greeting", "hi"}}, {.name = "kv"}).value();
  std::printf("get greeting -> %s\n",
              store.request(Get{"greeting"}, 1s).value().value_or("(none)").c_str());

  lunatic::Mailbox<bool> mailbox;
  lunatic::Process<bool> me(lunatic::this_process_id());
  for (int i = 0; i < 3; ++i) lunatic::spawn(&client, ClientJob{i, me}).value();
  for (int i = 0; i < 3; ++i) mailbox.receive(2s).value();

  for (int i = 0; i < 3; ++i) {
    std::string key = "client-" + std::to_string(i);
    std::printf("get %s -> %s\n", key.c_str(),
                store.request(Get{key}, 1s).value().value_or("(none)").c_str());
  }
  auto removed = store.request(Remove{"greeting"}, 1s).value();
  std::printf("remove greeting -> %s\n", removed.value_or("(none)").c_str());
  std::printf("get greeting -> %s\n",
              store.request(Get{"greeting"}, 1s).value().value_or("(none)").c_str());
  store.stop(1s).value();
  auto late = store.request(Get{"greeting"}, 100ms);
  std::printf("after stop: %s\n", late ? "answered" : late.error().message.c_str());
}
