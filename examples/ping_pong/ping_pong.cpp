// Two processes bat a counter back and forth: spawn with an argument, typed messages, and a
// process handle sent inside a message.
#include <cstdio>
#include <lunatic/lunatic.hpp>

struct Ball {
  lunatic::Process<int> reply_to;  // where to send the ball back
  int hits;
};

// The other player: hits every ball back, until told to stop (hits < 0).
void player(std::string name, lunatic::Mailbox<Ball> mailbox) {
  for (;;) {
    Ball ball = mailbox.receive().value();
    if (ball.hits < 0) return;
    std::printf("%s: hit %d\n", name.c_str(), ball.hits + 1);
    ball.reply_to.send(ball.hits + 1);
  }
}

int main() {
  auto other = lunatic::spawn(&player, std::string("pong")).value();
  lunatic::Process<int> me(lunatic::this_process_id());
  lunatic::Mailbox<int> mailbox;
  int hits = 0;
  while (hits < 6) {
    std::printf("ping: hit %d\n", ++hits);
    other.send(Ball{me, hits});
    hits = mailbox.receive(std::chrono::seconds(1)).value();
  }
  other.send(Ball{me, -1});
  std::printf("ping-pong: %d hits\n", hits);
}
