// CLI tests of lunatic::networking: TCP through net_tcp.wasm, DNS and UDP through
// net_udp_dns.wasm, TLS through net_tls.wasm (with the test certificates of tests/guests/tls),
// all on loopback, each client and server in processes of their own. Failure paths: timeouts, a
// refused connection, a peer that dies mid-read, names that do not resolve, refused
// certificates, clients that say nothing or send garbage, and bad ids and buffers, which trap.
#include "support/cli_support.hpp"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace cli_test;

class Networking : public ProcessTest {
 protected:
  RunResult tcp(std::vector<std::string> args) { return run_guest("net_tcp", std::move(args)); }
  RunResult udp_dns(std::vector<std::string> args) {
    return run_guest("net_udp_dns", std::move(args));
  }
  RunResult tls(std::string mode) {
    return run_guest("net_tls", {std::move(mode)}, {"--dir", std::string(TLS_FILES_DIR) + ":/tls"});
  }
  // Lines printed by different processes at about the same time: compared in sorted order.
  static std::vector<std::string> sorted_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  void expect_ok(const RunResult& r, const std::string& out) {
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_EQ(r.out, out) << describe(r);
  }
  // The guest traps in a host call, and stderr names the function and the reason.
  void expect_host_trap(const RunResult& r, const std::string& reason) {
    expect_trap(r, "host call failed");
    EXPECT_NE(r.err.find(reason), std::string::npos) << describe(r);
  }
};

// ---- TCP ----

TEST_F(Networking, TcpEchoOverIpv4WithBothAddresses) {
  // The client reports after the echo, which the server sends after its own lines.
  auto r = tcp({"echo", "4"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "server: peer is 127.0.0.1 (type 4)\n"
            "server: read 'hello'\n"
            "client: echo 'hello', server at 127.0.0.1, port matches: yes\n")
      << describe(r);
}

TEST_F(Networking, TcpEchoOverIpv6) {
  expect_ok(tcp({"echo", "6"}),
            "server: peer is [v6 ...1] (type 6)\n"
            "server: read 'hello'\n"
            "client: echo 'hello', server at [v6 ...1], port matches: yes\n");
}

TEST_F(Networking, PeekedBytesAreReadAgain) {
  expect_ok(tcp({"peek"}), "peek: 0, 3 bytes 'abc'\nread after peek: 'abc'\n");
}

TEST_F(Networking, AReadTimeoutReturns9027AfterTheTimeoutAndTimeoutsReadBack) {
  expect_ok(tcp({"read_timeout"}),
            "no timeout at first: yes\n"
            "timeouts: read 100, write 200, peek 300\n"
            "a clone shares them: yes\n"
            "read: 9027, waited >= 100 ms: yes, < 2 s: yes\n"
            "cleared: yes\n");
}

TEST_F(Networking, AReadOnAConnectionWhosePeerDiesEndsWithZeroBytes) {
  // The killed client's socket is closed with its resources; the server's read sees the end.
  auto r = tcp({"peer_gone"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "read after the peer died: 0, 0 bytes\n") << describe(r);
}

TEST_F(Networking, ConnectingToAPortNobodyListensOnIsAnErrorWithTheOsText) {
  expect_ok(tcp({"refused"}), "connect: 1, Connection refused (os error 111)\n");
}

TEST_F(Networking, AStreamMovesToAnotherProcessInAMessageAndLeavesTheSender) {
  auto r = tcp({"move"});
  EXPECT_EQ(r.out,
            "pushed at index 0\n"
            "handler: echoing 'hello'\n"
            "client: echo 'hello', server at 127.0.0.1, port matches: yes\n"
            "the acceptor's id is gone: next line is the trap\n")
      << describe(r);
  expect_host_trap(r, "drop_tcp_stream: tcp stream id 0 does not exist");
}

TEST_F(Networking, AReaderAndAWriterShareOneConnectionAtTheSameTime) {
  expect_ok(tcp({"clone"}), "reader: 1000 bytes, in order: yes\n");
}

TEST_F(Networking, TwoHundredConnectionsEachWithItsOwnProcessesEchoAtOnce) {
  expect_ok(tcp({"many", "200"}), "connections that echoed 20 rounds correctly: 200 of 200\n");
}

TEST_F(Networking, FourMegabytesThroughOneConnectionArriveIntact) {
  expect_ok(tcp({"large"}),
            "one write: 0, took part of it: yes\nthe reader got 4194304 bytes, all correct\n");
}

TEST_F(Networking, BadStreamIdsBuffersAndAddressTypesTrap) {
  expect_host_trap(tcp({"bad_stream"}), "tcp_read: tcp stream id 12345 does not exist");
  expect_host_trap(tcp({"bad_buffer"}), "tcp_read: buffer out of bounds");
  expect_host_trap(tcp({"bad_type"}), "tcp_bind: unsupported address type");
}

// ---- DNS ----

TEST_F(Networking, ResolvingAnIpLiteralGivesExactlyThatAddress) {
  expect_ok(udp_dns({"resolve", "127.0.0.1:53"}),
            "address: v4 127.0.0.1 port 53\naddresses: 1, then resolve_next returns 1\n");
  expect_ok(udp_dns({"resolve", "[::1]:9"}),
            "address: v6 ::1 port 9\naddresses: 1, then resolve_next returns 1\n");
}

TEST_F(Networking, ResolvingLocalhostIncludesTheLoopbackAddressWithThePort) {
  auto r = udp_dns({"resolve", "localhost:8080"});
  EXPECT_EXIT_CODE(r, 0);
  // /etc/hosts decides whether ::1 comes too; 127.0.0.1 always does.
  EXPECT_NE(r.out.find("address: v4 127.0.0.1 port 8080\n"), std::string::npos) << describe(r);
  EXPECT_NE(r.out.find(", then resolve_next returns 1\n"), std::string::npos) << describe(r);
}

TEST_F(Networking, NamesWithoutAPortOrThatDoNotExistAreErrors) {
  expect_ok(udp_dns({"resolve_bad"}),
            "localhost: 1, an error text: yes\n"
            "localhost:99999: 1, an error text: yes\n"
            "no-such-host.invalid:80: 1, an error text: yes\n");
}

TEST_F(Networking, AnUnknownDnsIteratorTraps) {
  expect_host_trap(udp_dns({"bad_iterator"}), "resolve_next: dns iterator id 777 does not exist");
}

// ---- UDP ----

TEST_F(Networking, UdpSendToAndReceiveFromNameTheSenderAndCutToTheBuffer) {
  expect_ok(udp_dns({"udp_to_from"}),
            "send_to: 0, 5 bytes\n"
            "receive_from: 0, 'ping!', from the sender's port: yes\n"
            "receive into 4 bytes: 0, 4 bytes '0123'\n");
}

TEST_F(Networking, ConnectedUdpSocketsSendAndReceiveAndKnowTheirPeer) {
  expect_ok(
      udp_dns({"udp_connected"}),
      "connect: 0 0\n"
      "a's peer is b: yes\n"
      "send: 0, receive: 0 'hey'\n"
      "peer of an unconnected socket: 1, Transport endpoint is not connected (os error 107)\n");
}

TEST_F(Networking, UdpBroadcastAndTtlReadBackAsSet) {
  expect_ok(udp_dns({"udp_options"}),
            "broadcast at first: 0\n"
            "broadcast after set: 1\n"
            "ttl after set: 17\n"
            "a clone is the same socket: yes\n");
}

TEST_F(Networking, AUdpReceiveWaitsInItsOwnProcessOnASocketMovedToIt) {
  expect_ok(udp_dns({"udp_receiver"}), "main ran while the receiver waited\nreceiver: 0 'late'\n");
}

TEST_F(Networking, AnUnknownUdpSocketTraps) {
  expect_host_trap(udp_dns({"udp_bad_socket"}), "udp_send: udp socket id 99 does not exist");
}

// ---- TLS ----

TEST_F(Networking, TlsEchoThroughAHandlerProcessWithAVerifiedCertificate) {
  expect_ok(tls("echo"), "handler: echoing 'hello'\ngood client: echo 'hello'\n");
}

TEST_F(Networking, AnUntrustedCertificateIsRefusedWithAReasonAndTheServerGoesOn) {
  auto r = tls("untrusted");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(sorted_lines(r.out),
            (std::vector<std::string>{
                "good client: echo 'hello'", "handler: echoing 'hello'",
                "handler: read failed with an error",
                "untrusting client: connect failed: the server's certificate was refused: "
                "self-signed certificate"}))
      << describe(r);
}

TEST_F(Networking, ACertificateForAnotherNameIsRefused) {
  auto r = tls("wrong_name");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(sorted_lines(r.out),
            (std::vector<std::string>{
                "handler: read failed with an error",
                "wrong-name client: connect failed: the server's certificate was refused: IP "
                "address mismatch"}))
      << describe(r);
}

TEST_F(Networking, ASilentClientDoesNotHoldUpTheAcceptor) {
  expect_ok(tls("silent"), "handler: echoing 'hello'\ngood client: echo 'hello'\n");
}

TEST_F(Networking, AClientSendingGarbageGetsItsHandlerAnErrorAndOthersAreServed) {
  auto r = tls("garbage");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(sorted_lines(r.out),
            (std::vector<std::string>{"good client: echo 'hello'", "handler: echoing 'hello'",
                                      "handler: read failed with an error"}))
      << describe(r);
}

TEST_F(Networking, ATlsReadTimeoutReturns9027) {
  expect_ok(tls("read_timeout"), "read timeout: 100\nread: 9027, waited >= 100 ms: yes\n");
}

TEST_F(Networking, ACertificateThatIsNotPemIsAnErrorNotATrap) {
  expect_ok(tls("bad_pem"), "bind: 1, reason names the certificate: yes\n");
}

// ---- permissions (beyond Lunatic) ----

class NetworkPermissions : public ProcessTest {
 protected:
  RunResult run(std::string mode) { return run_guest("net_permissions", {std::move(mode)}); }
};

TEST_F(NetworkPermissions, ANewConfigAllowsTheNetworkAsInLunatic) {
  auto r = run("default");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "a new config can use the network: 1\nconnect: ok\ntcp bind: ok\nudp bind: ok\nresolve "
            "localhost: ok\n")
      << describe(r);
}

TEST_F(NetworkPermissions, ADeniedConfigRefusesConnectBindAndSendToWithAnErrorNotATrap) {
  auto r = run("deny_all");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(
      r.out,
      "after denying: 0\n"
      "connect: 1 Permission denied: connecting to 127.0.0.1 is not allowed by this process's "
      "config\n"
      "tcp bind: 1 Permission denied: binding 127.0.0.1 is not allowed by this process's config\n"
      "udp bind: 1 Permission denied: binding 127.0.0.1 is not allowed by this process's config\n"
      "resolve localhost: 1 Permission denied: name lookups are not allowed by this process's "
      "config\n"
      "udp send_to: 1 Permission denied: connecting to 127.0.0.1 is not allowed by this process's "
      "config\n")
      << describe(r);
}

TEST_F(NetworkPermissions, ARuleAllowsExactlyItsAddressAndPortsAndMappedAddressesCannotSlipPast) {
  auto r = run("allow_rule");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(
      r.out,
      "with a rule: 0\n"
      "connect to the allowed port: ok\n"
      "connect to the allowed port as ::ffff:127.0.0.1: ok\n"
      "connect to another port: 1 Permission denied: connecting to 127.0.0.1 is not allowed by "
      "this "
      "process's config\n"
      "connect to another port as ::ffff:127.0.0.1: 1 Permission denied: connecting to "
      "[::ffff:127.0.0.1] is "
      "not allowed by this process's config\n"
      "tcp bind: 1 Permission denied: binding 127.0.0.1 is not allowed by this process's config\n"
      "udp bind: 1 Permission denied: binding 127.0.0.1 is not allowed by this process's config\n"
      "resolve localhost: ok\n")
      << describe(r);
}

TEST_F(NetworkPermissions, ARestrictedProcessMakesOnlyRestrictedConfigsAndCannotGrantAccess) {
  auto r = run("no_escalation");
  EXPECT_EXIT_CODE(r, 0);  // the child traps; main, monitoring it, ends normally
  EXPECT_EQ(r.out,
            "a config it creates can use the network: 0\ngranting it: next line is the trap\n")
      << describe(r);
  EXPECT_NE(
      r.err.find("config_set_can_use_network: this process's own network access is restricted"),
      std::string::npos)
      << describe(r);
}

TEST_F(NetworkPermissions, ARuleWithAPrefixLongerThanTheAddressTraps) {
  auto r = run("bad_rule");
  expect_trap(r, "host call failed");
  EXPECT_NE(r.err.find("config_allow_network: prefix length 33 is too long"), std::string::npos)
      << describe(r);
}

}  // namespace
