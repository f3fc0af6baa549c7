// CLI tests of the C++ guest SDK (sdk/cpp): processes and mailboxes (sdk_process.cpp), servers and
// request/reply (sdk_server.cpp), supervisors (sdk_supervisor.cpp), configs and run-time modules
// (sdk_config.cpp), networking (sdk_net.cpp), each case seen from inside a guest, failure paths
// included.
#include "support/cli_support.hpp"

#include <string>

namespace {

using namespace cli_test;

class Sdk : public ProcessTest {
 protected:
  // Runs `guest mode`, expects exit code 0 and exactly `expected` on stdout; returns the run
  // for checks of stderr.
  RunResult expect_output(std::string_view guest, const std::string& mode,
                          const std::string& expected) {
    auto r = run_guest(guest, {mode});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_EQ(r.out, expected) << describe(r);
    return r;
  }
};

TEST_F(Sdk, SpawnPassesAStructArgumentAndTypedRepliesComeBack) {
  expect_output("sdk_process", "spawn_argument", "echo: x=42 name=point! weights=2 (0.50, 2.25)\n");
}

TEST_F(Sdk, TenThousandMessagesArriveInOrder) {
  expect_output("sdk_process", "order", "child counted in order: 10000\n");
}

TEST_F(Sdk, MessagesSmallerThanLargerThanAndAtTheInlineBufferSizeArriveWhole) {
  expect_output("sdk_process", "sizes", "sizes: 8 of 8 whole\n");
}

TEST_F(Sdk, ReceiveByTagLeavesTheOthersInOrder) {
  expect_output("sdk_process", "tagged",
                "tag 2 first: 12 (tag 2)\nthen in order: 10 11 13\ntag 2 again: timeout\n");
}

TEST_F(Sdk, AReceiveTimeoutIsAnErrorValueAfterTheTimeout) {
  expect_output("sdk_process", "timeout", "receive(80ms): timeout, waited >= 80 ms: yes\n");
}

TEST_F(Sdk, SendAfterDeliversAndACancelledTimerNever) {
  expect_output("sdk_process", "timers",
                "cancel: yes, again: no\narrived: 7\nanything else: timeout\n");
}

TEST_F(Sdk, RegisterLookupAndUnregister) {
  expect_output("sdk_process", "registry",
                "lookup: this process\nafter unregister: none\nnever registered: none\n");
}

TEST_F(Sdk, MonitorSignalsArriveAsValues) {
  expect_output("sdk_process", "monitor",
                "monitor: process-died for the child\na signal through receive(): no process\n");
}

TEST_F(Sdk, ALinkedFailureArrivesAsAValueWithItsTagAndANormalEndIsQuiet) {
  expect_output("sdk_process", "link",
                "link: link-died, tag 77\nchild alive: no\nafter a normal end: timeout\n");
}

TEST_F(Sdk, BytesThatDoNotDecodeAreAnErrorAndTheMailboxGoesOn) {
  expect_output("sdk_process", "bad_bytes",
                "message 0: decode\nmessage 1: decode\nmessage 2: Point ok\n");
}

TEST_F(Sdk, IntegerMessagesDecodeOrFailAsTheGeneralDecoderDoes) {
  expect_output("sdk_process", "integers",
                "int 0: decode\nint 1: decode\nint 2: decode\nint 3: decode\nint 4: decode\n"
                "int 5: 300\nint 6: -7\nint 7: 2147483647\n-1 as a byte: decode\n");
}

TEST_F(Sdk, KillEndsAProcessAndSendsToTheDeadAreDropped) {
  expect_output("sdk_process", "kill",
                "before kill: alive\nafter kill: dead\nsend to the dead: dropped\n");
}

TEST_F(Sdk, AServerHandlesMessagesRequestsAndStop) {
  expect_output("sdk_server", "basic",
                "value: 11\nterminate with 11\nstop: ok\nalive after stop: no\n"
                "request after stop: no process\n");
}

TEST_F(Sdk, ANamedServerStartsOnceAndAgainAfterItsDeath) {
  expect_output("sdk_server", "named",
                "same process: yes, value 1\nlookup: the server\n"
                "after its death a new one: yes, value 300\n");
}

TEST_F(Sdk, AFailingInitIsAnErrorOfStart) {
  expect_output("sdk_server", "init_fails", "start: host: init failed: no database\n");
}

TEST_F(Sdk, AServerDropsMessagesThatDoNotDecodeAndKeepsServing) {
  auto r = expect_output("sdk_server", "bad_message", "still serving: 9\n");
  EXPECT_NE(r.err.find("dropped a message"), std::string::npos) << describe(r);
}

TEST_F(Sdk, ARequestTimesOutAndTheLateReplyDoesNotConfuseTheNext) {
  expect_output("sdk_server", "request_timeout", "slow request: timeout\nnext request: 3\n");
}

TEST_F(Sdk, RequestsToDeadServersFail) {
  expect_output("sdk_server", "dead_peer",
                "terminate with 3\n"
                "request to a dead server: no process, at once: yes\n"
                "server dies holding the request: no process\n");
}

TEST_F(Sdk, OneForOneRestartsOnlyTheFailedChild) {
  expect_output("sdk_supervisor", "one_for_one",
                "c0: same process, restarts 0, answers: yes, old one alive: no\n"
                "c1: new process, restarts 1, answers: yes, old one alive: no\n"
                "c2: same process, restarts 0, answers: yes, old one alive: no\n");
}

TEST_F(Sdk, OneForAllRestartsEveryChild) {
  expect_output("sdk_supervisor", "one_for_all",
                "c0: new process, restarts 1, answers: yes, old one alive: no\n"
                "c1: new process, restarts 1, answers: yes, old one alive: no\n"
                "c2: new process, restarts 1, answers: yes, old one alive: no\n");
}

TEST_F(Sdk, RestForOneRestartsTheFailedChildAndThoseStartedAfterIt) {
  expect_output("sdk_supervisor", "rest_for_one",
                "c0: same process, restarts 0, answers: yes, old one alive: no\n"
                "c1: new process, restarts 1, answers: yes, old one alive: no\n"
                "c2: new process, restarts 1, answers: yes, old one alive: no\n");
}

TEST_F(Sdk, PastItsRestartIntensityTheSupervisorFailsAndStopsItsChildren) {
  auto r = expect_output("sdk_supervisor", "intensity",
                         "after 2 restarts: supervisor alive\nthird failure: the supervisor died\n"
                         "first children still alive: 0\n");
  EXPECT_NE(r.err.find("gives up: more than 2 restarts in 10000 ms"), std::string::npos)
      << describe(r);
}

TEST_F(Sdk, AChildThatEndsNormallyIsNotRestarted) {
  expect_output("sdk_supervisor", "normal_end", "short: restarts 0, alive no\n");
}

TEST_F(Sdk, StoppingASupervisorStopsItsChildren) {
  expect_output("sdk_supervisor", "stop", "stop: ok\nsupervisor alive: no, children alive: 0\n");
}

TEST_F(Sdk, AConfigLimitsTheMemoryOfTheProcessesSpawnedWithIt) {
  expect_output("sdk_config", "max_memory",
                "max_memory: 4194304\nlimited child: 64 KiB: ok, 16 MiB: refused\n"
                "unlimited child: 64 KiB: ok, 16 MiB: ok\n");
}

TEST_F(Sdk, AConfigSetsTheEnvironmentOfItsProcesses) {
  expect_output("sdk_config", "environment", "configured child: SDK_KEY=sdk value\n");
}

TEST_F(Sdk, AConfigWithoutThePermissionMakesConfigCreationAnError) {
  expect_output("sdk_config", "permissions",
                "new config may create configs: no\n"
                "denied child: create_config: permission: this process may not create configs\n"
                "allowed child: create_config: allowed\n");
}

TEST_F(Sdk, ModulesCompiledAtRunTimeSpawnAndBadBytesAreRefused) {
  expect_output("sdk_config", "modules",
                "broken module: host, with a reason: yes\nspawned from it: ran and ended\n"
                "a missing export: the child failed\n");
}

// ---- networking (sdk_net.cpp) ----

TEST_F(Sdk, TcpListenerAcceptsAStreamPassedToASpawnedEchoAndAReadTimesOut) {
  expect_output("sdk_net", "tcp",
                "listening on 127.0.0.1: yes\n"
                "the client's peer is the listener: yes, the server's peer is on loopback: yes\n"
                "echoed: ping\n"
                "a read with nothing to read: timeout\n");
}

TEST_F(Sdk, ARefusedConnectionAndAnUnknownNameAreHostErrors) {
  expect_output(
      "sdk_net", "refused",
      "connect: host, Connection refused (os error 111)\nresolve an unknown name: host\n");
}

TEST_F(Sdk, AStreamInsideAStructTravelsInAMessage) {
  expect_output("sdk_net", "stream_in_message", "the child read: through a message\n");
}

TEST_F(Sdk, UdpSendToAndReceiveFromNameTheSender) {
  expect_output("sdk_net", "udp", "received 'datagram' from a: yes\nttl: 9\n");
}

TEST_F(Sdk, AConfigsNetworkRulesRefuseWithPermissionErrors) {
  expect_output(
      "sdk_net", "permission",
      "restricted: yes\nallowed port: connected, another port: permission, bind: permission\n");
}

TEST_F(Sdk, TlsStreamsVerifyTheServerAndEcho) {
  std::vector<std::string> options{"--dir"};
  options.push_back(std::string(TLS_FILES_DIR) + ":/tls");
  auto r = run_guest("sdk_net", {"tls"}, options);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "untrusted: the server's certificate was refused: self-signed certificate\n"
            "trusted: echoed 'secret'\n")
      << describe(r);
}

}  // namespace
