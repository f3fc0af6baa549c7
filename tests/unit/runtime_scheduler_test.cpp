// The scheduler and processes without wasm: bodies are C++ functions on fibers. Covers yields,
// sleeps, receive with timeouts, kill, links and monitors. Tests of order and time run on the
// deterministic scheduler (the test's thread, a manual clock) and assert each step; those about
// several workers run the real ones.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "engine/execution/trap.hpp"
#include "runtime/scheduler.hpp"
#include "support/deterministic_scheduler.hpp"
#include "support/os_memory.hpp"

namespace lunatic::runtime {
namespace {

using namespace std::chrono_literals;
using testing::DeterministicScheduler;

std::unique_ptr<Message> data_message(std::int64_t tag = 0) {
  auto message = std::make_unique<Message>();
  message->tag = tag;
  return message;
}

TEST(Scheduler, RunsEveryProcessToTheEndOnSeveralWorkers) {
  Scheduler scheduler(4);
  std::atomic<int> yields{0};
  std::atomic<int> done{0};
  for (int i = 0; i < 1000; ++i) {
    scheduler.spawn([&](Process& self) {
      for (int k = 0; k < 20; ++k) {
        self.yield_now();
        yields.fetch_add(1);
      }
      done.fetch_add(1);
    });
  }
  EXPECT_TRUE(scheduler.run());
  EXPECT_EQ(done.load(), 1000);
  EXPECT_EQ(yields.load(), 20000);
  EXPECT_EQ(scheduler.process_count(), 0u);
}

TEST(Scheduler, ANewProcessLeavesItsStackUntouchedUntilItFirstRuns) {
  // Making a fiber writes its record at the top of its stack, a page fault: the worker that
  // first runs the process pays it, not the process that spawned it.
  Scheduler scheduler(1);
  std::size_t resident_while_running = 0;
  std::uintptr_t low = 0;
  std::uintptr_t high = 0;
  auto process = scheduler.create(
      [&](Process&) { resident_while_running = testing::resident_between(low, high); });
  ASSERT_NE(process, nullptr);
  low = process->execution().stack_low;
  high = process->execution().stack_high;
  EXPECT_EQ(testing::resident_between(low, high), 0u);
  scheduler.start(process);
  EXPECT_TRUE(scheduler.run());
  EXPECT_GT(resident_while_running, 0u);
}

TEST(Scheduler, WorkIsSpreadOverWorkersByStealing) {
  // Every process starts queued on one worker; the other worker only gets work by stealing.
  Scheduler scheduler(2);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  const auto give_up = Clock::now() + 10s;
  for (int i = 0; i < 200; ++i) {
    scheduler.spawn([&](Process& self) {
      for (;;) {
        {
          std::lock_guard guard(mutex);
          threads.insert(std::this_thread::get_id());
          if (threads.size() == 2 || Clock::now() > give_up) return;
        }
        const auto end = Clock::now() + 100us;  // compute a little between yields
        while (Clock::now() < end) {
        }
        self.yield_now();
      }
    });
  }
  EXPECT_TRUE(scheduler.run());
  EXPECT_EQ(threads.size(), 2u);
}

TEST(Scheduler, ASleeperWakesAtItsDeadlineAndNotBefore) {
  DeterministicScheduler sim;
  const Clock::time_point deadline = sim.now() + 20ms;
  std::optional<Clock::time_point> woke_at;
  sim.scheduler().spawn([&](Process& self) {
    self.sleep_until(deadline);
    woke_at = sim.now();
  });
  sim.advance(19ms);
  EXPECT_FALSE(woke_at.has_value());
  sim.advance(1ms);
  EXPECT_EQ(woke_at, deadline);
  EXPECT_EQ(sim.scheduler().process_count(), 0u);
}

TEST(Scheduler, ReceiveWaitsForAMatchingMessageAndTimesOut) {
  DeterministicScheduler sim;
  std::vector<std::int64_t> got;
  const Clock::time_point timeout = sim.now() + 10ms;
  std::optional<Clock::time_point> timed_out_at;
  auto receiver = sim.scheduler().spawn([&](Process& self) {
    const std::int64_t tag2[] = {2};
    got.push_back(self.receive(tag2, std::nullopt)->tag);
    got.push_back(self.receive({}, std::nullopt)->tag);
    if (self.receive({}, timeout) == nullptr) timed_out_at = sim.now();
  });
  sim.run_until_idle();
  receiver->send(data_message(1));
  sim.run_until_idle();
  EXPECT_TRUE(got.empty()) << "a message of another tag ended the wait";
  receiver->send(data_message(2));
  sim.run_until_idle();
  EXPECT_EQ(got, (std::vector<std::int64_t>{2, 1}));
  sim.advance(9ms);
  EXPECT_FALSE(timed_out_at.has_value());
  sim.advance(1ms);
  EXPECT_EQ(timed_out_at, timeout);
}

// A message carrying a token whose release `watch` sees (a module resource owning nothing).
std::unique_ptr<Message> tracked_message(std::weak_ptr<const engine::Module>& watch) {
  std::shared_ptr<const engine::Module> token(static_cast<const engine::Module*>(nullptr),
                                              [](const engine::Module*) {});
  watch = token;
  auto message = data_message();
  message->resources.emplace_back(std::move(token));
  return message;
}

TEST(Scheduler, MessagesThatADeadProcessCanNeverReadAreFreed) {
  DeterministicScheduler sim;
  Scheduler& scheduler = sim.scheduler();
  std::weak_ptr<const engine::Module> queued_at_death, sent_after_death, delayed_to_dead;
  bool send_refused = false;
  // Ends after 20 ms without reading its mailbox; the test keeps a reference to it.
  auto holder = scheduler.spawn([&](Process& self) { self.sleep_until(sim.now() + 20ms); });
  scheduler.spawn([&](Process& self) {
    holder->send(tracked_message(queued_at_death));
    scheduler.send_after(sim.now() + 50ms, self.id(), holder->id(),
                         tracked_message(delayed_to_dead));
    self.sleep_until(sim.now() + 100ms);
    send_refused = holder->send(tracked_message(sent_after_death)) == Process::Delivery::kDead;
  });
  sim.run_until_idle();
  EXPECT_FALSE(queued_at_death.expired());
  sim.advance(20ms);  // the holder ends
  EXPECT_TRUE(queued_at_death.expired()) << "the unread mailbox outlived its process";
  EXPECT_EQ(scheduler.timers().pending_sends(), 1u);
  sim.advance(30ms);  // the delayed message comes due
  EXPECT_TRUE(delayed_to_dead.expired()) << "a delayed message to a dead process was kept";
  EXPECT_EQ(scheduler.timers().pending_sends(), 0u);
  sim.advance(50ms);
  EXPECT_TRUE(send_refused);
  EXPECT_TRUE(sent_after_death.expired());
  EXPECT_EQ(scheduler.process_count(), 0u);
}

TEST(Scheduler, AFullMailboxRefusesDataMessagesButNeverSignals) {
  DeterministicScheduler sim;
  Scheduler& scheduler = sim.scheduler();
  std::vector<Process::Delivery> deliveries;
  std::weak_ptr<const engine::Module> refused;
  std::size_t queued = 0;
  std::vector<Message::Kind> kinds;
  auto receiver = scheduler.create([&](Process& self) {
    self.sleep_until(sim.now() + 1ms);  // while the sender fills the mailbox
    queued = self.mailbox_size();
    while (auto message = self.receive({}, sim.now())) kinds.push_back(message->kind);
  });
  receiver->limit_mailbox(/*max_messages=*/2, /*max_bytes=*/0);
  receiver->set_die_when_link_dies(false);  // a linked failure becomes a message
  scheduler.start(receiver);
  scheduler.spawn([&](Process&) {
    deliveries.push_back(receiver->send(data_message(1)));
    deliveries.push_back(receiver->send(data_message(2)));
    deliveries.push_back(receiver->send(tracked_message(refused)));
    receiver->link_died(99, 7, DeathReason::kFailure);  // a signal
  });
  sim.run_until_idle();
  EXPECT_TRUE(refused.expired()) << "a refused message was kept";
  sim.advance(1ms);
  EXPECT_EQ(deliveries,
            (std::vector<Process::Delivery>{Process::Delivery::kQueued, Process::Delivery::kQueued,
                                            Process::Delivery::kMailboxFull}));
  EXPECT_EQ(queued, 3u);
  EXPECT_EQ(kinds, (std::vector<Message::Kind>{Message::Kind::kData, Message::Kind::kData,
                                               Message::Kind::kLinkDied}));
}

TEST(Scheduler, AMailboxBoundInBytesRefusesTheMessageThatWouldPassIt) {
  DeterministicScheduler sim;
  Scheduler& scheduler = sim.scheduler();
  std::vector<Process::Delivery> deliveries;
  auto receiver = scheduler.create([&](Process& self) {
    self.sleep_until(sim.now() + 1ms);  // while the sender fills the mailbox
    while (self.receive({}, sim.now())) {
    }
  });
  receiver->limit_mailbox(/*max_messages=*/0, /*max_bytes=*/100);
  scheduler.start(receiver);
  scheduler.spawn([&](Process&) {
    for (std::size_t size : {60, 41, 40, 0}) {
      auto message = data_message();
      message->data.resize(size);
      deliveries.push_back(receiver->send(std::move(message)));
    }
  });
  sim.advance(1ms);
  EXPECT_EQ(scheduler.process_count(), 0u);
  EXPECT_EQ(deliveries, (std::vector<Process::Delivery>{
                            Process::Delivery::kQueued, Process::Delivery::kMailboxFull,
                            Process::Delivery::kQueued, Process::Delivery::kQueued}));
}

TEST(Scheduler, MessagesSentToAWaiterArriveOnceEachAndInTheOrderEachSenderSentThem) {
  // Four senders on four workers race each other to a receiver that keeps waiting: a message
  // either goes straight to the waiting receiver or into its mailbox, never both or neither.
  constexpr int kSenders = 4, kPerSender = 20000;
  Scheduler scheduler(4);
  std::vector<int> next_expected(kSenders, 0);
  int received = 0, out_of_order = 0;
  auto receiver = scheduler.spawn([&](Process& self) {
    while (received < kSenders * kPerSender) {
      auto message = self.receive({}, std::nullopt);
      const auto sender = static_cast<std::size_t>(message->tag >> 32);
      const auto sequence = static_cast<int>(message->tag & 0xffffffff);
      out_of_order += sequence != next_expected[sender];
      next_expected[sender] = sequence + 1;
      ++received;
    }
  });
  for (std::int64_t sender = 0; sender < kSenders; ++sender) {
    scheduler.spawn([&, sender](Process& self) {
      for (std::int64_t i = 0; i < kPerSender; ++i) {
        receiver->send(data_message(sender << 32 | i));
        if (i % 64 == 0) self.yield_now();
      }
    });
  }
  EXPECT_TRUE(scheduler.run());
  EXPECT_EQ(received, kSenders * kPerSender);
  EXPECT_EQ(out_of_order, 0);
  EXPECT_EQ(next_expected, std::vector<int>(kSenders, kPerSender));
}

TEST(Scheduler, AMessageHandedToAWaiterThatIsKilledBeforeItRunsIsFreedWithIt) {
  DeterministicScheduler sim;
  std::weak_ptr<const engine::Module> handed;
  bool got_message = false;
  std::string reason;
  auto receiver = sim.scheduler().spawn([&](Process& self) {
    try {
      got_message = self.receive({}, std::nullopt) != nullptr;
    } catch (const engine::GuestTrap& trap) {
      reason = trap.message;
      self.set_death(DeathReason::kFailure);
    }
  });
  sim.run_until_idle();  // the receiver waits
  // No slice runs between the two: the receiver is killed with the message in its slot.
  receiver->send(tracked_message(handed));
  receiver->kill("killed with a message in hand");
  sim.run_until_idle();
  EXPECT_FALSE(got_message);
  EXPECT_EQ(reason, "killed with a message in hand");
  EXPECT_TRUE(handed.expired()) << "the handed-over message outlived its receiver";
}

TEST(Scheduler, ASpuriousWakeDoesNotEndADescriptorWait) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  DeterministicScheduler sim;
  std::optional<bool> returned_ready;
  bool readable = false;
  auto waiter = sim.scheduler().spawn([&](Process& self) {
    const FdInterest interest[1] = {{fds[0], true, false}};
    FdReadiness ready[1];
    returned_ready = self.wait_fds(interest, ready, sim.now() + 5s);
    readable = ready[0].readable;
  });
  sim.run_until_idle();
  waiter->wake_any();  // nothing is ready: the waiter must go back to waiting
  EXPECT_EQ(sim.run_until_idle(), 1u);
  EXPECT_FALSE(returned_ready.has_value());
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  sim.run_until_idle();
  EXPECT_EQ(returned_ready, true);
  EXPECT_TRUE(readable);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Scheduler, AKilledWaiterEndsWithTheReasonAndCannotContinue) {
  DeterministicScheduler sim;
  std::string reason;
  bool continued = false;
  auto victim = sim.scheduler().spawn([&](Process& self) {
    try {
      self.receive({}, std::nullopt);
      continued = true;
    } catch (const engine::GuestTrap& trap) {
      reason = trap.message;
      self.set_death(DeathReason::kFailure);
    }
  });
  sim.run_until_idle();
  EXPECT_TRUE(reason.empty());
  victim->kill("test kill");
  sim.run_until_idle();
  EXPECT_EQ(reason, "test kill");
  EXPECT_FALSE(continued);
  EXPECT_EQ(sim.scheduler().process_count(), 0u);
}

TEST(Scheduler, AFailedLinkKillsItsPeerOrBecomesAMessage) {
  DeterministicScheduler sim;
  Scheduler& scheduler = sim.scheduler();
  std::string killed_reason;
  std::int64_t message_tag = 0;
  auto linked_dies = scheduler.create([&](Process& self) {
    try {
      self.receive({}, std::nullopt);
    } catch (const engine::GuestTrap& trap) {
      killed_reason = trap.message;
    }
  });
  auto linked_traps_exits = scheduler.create([&](Process& self) {
    self.set_die_when_link_dies(false);
    auto message = self.receive({}, std::nullopt);
    if (message->kind == Message::Kind::kLinkDied) message_tag = message->tag;
  });
  auto failing = scheduler.create([&](Process& self) { self.set_death(DeathReason::kFailure); });
  failing->add_link(linked_dies->id(), 7);
  linked_dies->add_link(failing->id(), 0);
  failing->add_link(linked_traps_exits->id(), 9);
  linked_traps_exits->add_link(failing->id(), 0);
  scheduler.start(linked_dies);
  scheduler.start(linked_traps_exits);
  sim.run_until_idle();  // both linked processes wait
  scheduler.start(failing);
  sim.run_until_idle();
  EXPECT_EQ(scheduler.process_count(), 0u);
  EXPECT_EQ(killed_reason, "linked process " + std::to_string(failing->id()) + " died");
  EXPECT_EQ(message_tag, 9);
}

TEST(Scheduler, ANormalExitIsNotReportedToLinksButIsToMonitors) {
  DeterministicScheduler sim;
  Scheduler& scheduler = sim.scheduler();
  std::uint64_t died = 0;
  std::optional<bool> link_message;
  auto watcher = scheduler.create([&](Process& self) {
    self.set_die_when_link_dies(false);
    auto message = self.receive({}, std::nullopt);
    if (message->kind == Message::Kind::kProcessDied) died = message->process_id;
    link_message = self.receive({}, sim.now() + 5ms) != nullptr;
  });
  auto worker = scheduler.create([&](Process& self) { self.yield_now(); });
  worker->add_link(watcher->id(), 1);
  watcher->add_link(worker->id(), 0);
  worker->add_monitor(watcher->id());
  scheduler.start(watcher);
  scheduler.start(worker);
  sim.run_until_idle();
  EXPECT_EQ(died, worker->id());
  EXPECT_FALSE(link_message.has_value());  // still waits for a second message
  sim.advance(5ms);
  EXPECT_EQ(link_message, false);
}

TEST(Scheduler, StopEndsRunEvenWithProcessesStillComputing) {
  Scheduler scheduler(2);
  std::atomic<bool> computing{false};
  scheduler.spawn([&](Process& self) {
    for (;;) {
      computing.store(true);
      self.preempt_point();
    }
  });
  scheduler.spawn([&](Process& self) {
    while (!computing.load()) self.yield_now();
    scheduler.stop();
  });
  EXPECT_TRUE(scheduler.run());
}

TEST(Scheduler, ADeadlockIsReportedInsteadOfHanging) {
  Scheduler scheduler(2);
  scheduler.spawn([&](Process& self) { self.receive({}, std::nullopt); });
  EXPECT_FALSE(scheduler.run());
}

// Two processes that take turns (each wakes the other, then waits) run straight from one to
// the other without the worker loop. `until_turn` < 0: until `stop` is set.
struct TakingTurns {
  std::shared_ptr<Process> ping, pong;
  std::atomic<int> turns{0};
  std::atomic<bool> stop{false};
  int out_of_order = 0;
  std::function<void()> each_turn;  // run by ping before each turn, when set

  void start(Scheduler& scheduler, int until_turn) {
    pong = scheduler.spawn([this](Process& self) {
      for (;;) {
        auto message = self.receive({}, std::nullopt);
        if (message->tag < 0) return;
        ping->send(data_message(message->tag));
      }
    });
    ping = scheduler.spawn([this, until_turn](Process& self) {
      for (int turn = 0; until_turn < 0 ? !stop.load() : turn < until_turn; ++turn) {
        if (each_turn) each_turn();
        pong->send(data_message(turn));
        out_of_order += self.receive({}, std::nullopt)->tag != turn;
        turns.store(turn + 1);
      }
      pong->send(data_message(-1));
    });
  }
};

TEST(Scheduler, ProcessesTakingTurnsKeepOrderAndStillLetQueuedWorkRun) {
  constexpr int kTurns = 20000;
  for (unsigned workers : {1u, 2u}) {
    Scheduler scheduler(workers);
    TakingTurns pair;
    pair.start(scheduler, kTurns);
    // Queued behind the pair: on one worker it runs only if the pair's run of hand-offs ends.
    std::atomic<int> turns_when_bystander_ran{-1};
    scheduler.spawn([&](Process&) { turns_when_bystander_ran.store(pair.turns.load()); });
    EXPECT_TRUE(scheduler.run());
    EXPECT_EQ(pair.turns.load(), kTurns) << workers << " worker(s)";
    EXPECT_EQ(pair.out_of_order, 0) << workers << " worker(s)";
    EXPECT_GE(turns_when_bystander_ran.load(), 0) << workers << " worker(s)";
    EXPECT_LT(turns_when_bystander_ran.load(), kTurns)
        << "starved by the pair, " << workers << " worker(s)";
  }
}

TEST(Scheduler, ATimerFiresAtTheFirstSwitchAfterItsDeadlineWhileProcessesTakeTurns) {
  DeterministicScheduler sim;
  TakingTurns pair;
  pair.each_turn = [&] { sim.clock().move_by(100us); };  // each turn computes for a while
  pair.start(sim.scheduler(), /*until_turn=*/-1);
  std::optional<Clock::duration> lateness;
  sim.scheduler().spawn([&](Process& self) {
    const auto deadline = sim.now() + 5ms;
    self.sleep_until(deadline);
    lateness = sim.now() - deadline;
    pair.stop.store(true);
  });
  sim.run_until_idle();
  EXPECT_EQ(lateness, 0ns) << "the pair's hand-offs kept the timer waiting";
  EXPECT_GE(pair.turns.load(), 50);
  EXPECT_EQ(pair.out_of_order, 0);
  EXPECT_EQ(sim.scheduler().process_count(), 0u);
}

}  // namespace
}  // namespace lunatic::runtime
