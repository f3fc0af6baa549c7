// Who a NodeTransport refuses, and that refusing one never stops it serving the others: a node
// certified by another CA, a plain TCP client sending garbage, a TLS client without a
// certificate, a frame with a hostile length, a hello from another cluster or under another
// node's name.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>

#include "cluster/frame.hpp"
#include "cluster/transport.hpp"
#include "common/unique_fd.hpp"
#include "shared/temp_dir.hpp"
#include "transport_test_node.hpp"

namespace lunatic::cluster {
namespace {

using namespace testing;

// A blocking client that does not behave: plain TCP, or TLS with whatever context a test gives.
class RawClient {
 public:
  explicit RawClient(const net::SocketAddress& address)
      : fd_(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    timeval timeout{5, 0};  // no test waits on a read longer than this
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    connected_ = ::connect(fd_.get(), address.get(), address.length) == 0;
  }
  ~RawClient() { SSL_free(ssl_); }

  bool connected() const { return connected_; }
  bool write_plain(const std::string& text) {
    return ::write(fd_.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }
  // The TLS handshake as a client; true when the client side completed it.
  bool shake_hands(SSL_CTX* context) {
    ssl_ = SSL_new(context);
    SSL_set_fd(ssl_, fd_.get());
    ERR_clear_error();
    const bool done = SSL_connect(ssl_) == 1;
    ERR_clear_error();
    return done;
  }
  bool write_tls(const std::vector<std::uint8_t>& bytes) {
    std::size_t written = 0;
    return SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) == 1 && written == bytes.size();
  }
  // Reads until the server closes the connection (true) or 5 s pass (false).
  bool closed_by_server() {
    std::uint8_t buffer[4096];
    for (;;) {
      if (ssl_ != nullptr) {
        std::size_t got = 0;
        errno = 0;
        const int result = SSL_read_ex(ssl_, buffer, sizeof buffer, &got);
        if (result == 1) continue;
        const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
        const int reason = SSL_get_error(ssl_, result);
        ERR_clear_error();
        return !(reason == SSL_ERROR_WANT_READ || (reason == SSL_ERROR_SYSCALL && timed_out));
      }
      const ssize_t got = ::read(fd_.get(), buffer, sizeof buffer);
      if (got > 0) continue;
      return got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
  }

 private:
  UniqueFd fd_;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
};

std::vector<std::uint8_t> hello_frame(const Hello& hello) {
  std::vector<std::uint8_t> wire;
  append_control_frame(wire, FrameKind::kHello, encode_hello(hello));
  return wire;
}

class TransportSecurity : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // the raw clients write to connections the server closes
    a_ = std::make_unique<TestNode>(test_options(1, ca_, "node-a"));
    b_ = std::make_unique<TestNode>(test_options(2, ca_, "node-b"));
    connect_pair(*a_, *b_);
  }
  // Node a still serves node b, both ways, and took no message from anyone else.
  void expect_a_still_serves_b() {
    ASSERT_TRUE(b_->transport().send(1, 0, 1, bytes_of("still there?")));
    ASSERT_TRUE(a_->wait([](const Record& r) { return !r.messages.empty(); }));
    ASSERT_TRUE(a_->transport().send(2, 0, 1, bytes_of("yes")));
    ASSERT_TRUE(b_->wait([](const Record& r) { return !r.messages.empty(); }));
    a_->read([](const Record& r) {
      EXPECT_EQ(r.messages.size(), 1u);
      EXPECT_EQ(r.messages[0].peer, 2u);
    });
  }
  // The only connection that came up on node a is node b's.
  void expect_only_b_came_up() {
    a_->read([](const Record& r) { EXPECT_EQ(r.ups, std::vector<std::uint64_t>{2}); });
  }
  bool a_reported(const std::string& part) {
    return a_->wait([&](const Record& r) {
      for (const std::string& failure : r.failures)
        if (failure.find(part) != std::string::npos) return true;
      return false;
    });
  }
  std::string a_failures() {
    return a_->read([](const Record& r) {
      std::string all;
      for (const std::string& failure : r.failures) all += failure + "\n";
      return all;
    });
  }

  lunatic::testing::TempDir dir_{"transport-security"};
  TestCertificates ca_{dir_, "cluster-ca"};
  std::unique_ptr<TestNode> a_;
  std::unique_ptr<TestNode> b_;
};

TEST_F(TransportSecurity, ANodeCertifiedByAnotherCaIsRefusedInTheHandshake) {
  TestCertificates other(dir_, "other-ca");
  auto options = test_options(3, other, "node-c");
  TestNode c(std::move(options));
  ASSERT_TRUE(c.transport().add_peer(1, a_->address()));
  ASSERT_TRUE(c.transport().send(1, 0, 1, bytes_of("let me in")));
  ASSERT_TRUE(c.wait([](const Record& r) { return !r.failures.empty(); }));
  EXPECT_TRUE(a_reported("TLS handshake")) << a_failures();
  EXPECT_FALSE(c.transport().connected(1));
  expect_only_b_came_up();
  expect_a_still_serves_b();
}

TEST_F(TransportSecurity, AClientCertifiedByAnotherCaIsRefusedByTheServer) {
  // It trusts the cluster's CA, so only the server's check of its certificate can refuse it.
  TestCertificates other(dir_, "other-ca");
  const TlsIdentityFiles stranger = other.issue("node-x");
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()),
                                                            &SSL_CTX_free);
  ASSERT_EQ(SSL_CTX_load_verify_file(context.get(), ca_.ca_path().c_str()), 1);
  ASSERT_EQ(
      SSL_CTX_use_certificate_file(context.get(), stranger.certificate.c_str(), SSL_FILETYPE_PEM),
      1);
  ASSERT_EQ(
      SSL_CTX_use_PrivateKey_file(context.get(), stranger.private_key.c_str(), SSL_FILETYPE_PEM),
      1);
  RawClient client(a_->transport().bound_address());
  ASSERT_TRUE(client.connected());
  client.shake_hands(context.get());
  (void)client.write_tls(bytes_of("anything"));
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(a_reported("certificate was refused")) << a_failures();
  expect_only_b_came_up();
  expect_a_still_serves_b();
}

TEST_F(TransportSecurity, APlainTcpClientSendingGarbageIsRefused) {
  RawClient client(a_->transport().bound_address());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.write_plain("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(a_reported("TLS handshake")) << a_failures();
  expect_only_b_came_up();
  expect_a_still_serves_b();
}

TEST_F(TransportSecurity, ATlsClientWithoutACertificateIsRefused) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()),
                                                            &SSL_CTX_free);
  ASSERT_EQ(SSL_CTX_load_verify_file(context.get(), ca_.ca_path().c_str()), 1);
  RawClient client(a_->transport().bound_address());
  ASSERT_TRUE(client.connected());
  // TLS 1.3: the client finishes first; the server refuses it on its next read.
  client.shake_hands(context.get());
  (void)client.write_tls(bytes_of("anything"));
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(a_reported("certificate")) << a_failures();
  expect_only_b_came_up();
  expect_a_still_serves_b();
}

TEST_F(TransportSecurity, AHostileFrameLengthClosesTheConnectionWithoutReadingOn) {
  auto identity = ca_.identity("node-h");
  RawClient client(a_->transport().bound_address());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.shake_hands(identity->client_context()));
  std::vector<std::uint8_t> wire = hello_frame({kProtocolVersion, 9, 1, "node-h", "test-cluster"});
  append_header(wire, {0xFFFFFFFF, FrameKind::kData, kWholeMessage, 0, 1});
  ASSERT_TRUE(client.write_tls(wire));
  EXPECT_TRUE(client.closed_by_server());
  ASSERT_TRUE(a_->wait([](const Record& r) { return !r.downs.empty(); }));
  a_->read([](const Record& r) {
    EXPECT_EQ(r.downs[0].first, 9u);
    EXPECT_NE(r.downs[0].second.find("bad frame"), std::string::npos) << r.downs[0].second;
  });
  EXPECT_FALSE(a_->transport().connected(9));
  expect_a_still_serves_b();
}

TEST_F(TransportSecurity, AHelloUnderAnotherNodesNameIsRefused) {
  auto identity = ca_.identity("node-h");
  RawClient client(a_->transport().bound_address());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.shake_hands(identity->client_context()));
  ASSERT_TRUE(client.write_tls(hello_frame({kProtocolVersion, 9, 1, "node-b", "test-cluster"})));
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(a_reported("is not its certificate's")) << a_failures();
  expect_only_b_came_up();
  expect_a_still_serves_b();
}

TEST_F(TransportSecurity, ANodeOfAnotherClusterIsRefusedAtHello) {
  auto options = test_options(3, ca_, "node-c");
  options.cluster_name = "another-cluster";
  TestNode c(std::move(options));
  ASSERT_TRUE(c.transport().add_peer(1, a_->address()));
  ASSERT_TRUE(c.wait([](const Record& r) {
    return !r.failures.empty() && r.failures[0].find("refused by the peer") != std::string::npos;
  }));
  EXPECT_TRUE(a_reported("cluster \"another-cluster\"")) << a_failures();
  EXPECT_TRUE(c.read([](const Record& r) { return r.ups.empty(); }));
  expect_only_b_came_up();
  expect_a_still_serves_b();
}

TEST_F(TransportSecurity, ADialAnsweredByAnotherNodeThanTheOneDialedIsRefused) {
  TestNode c(test_options(3, ca_, "node-c"));
  // Membership says node 5 is where node b listens.
  ASSERT_TRUE(c.transport().add_peer(5, b_->address()));
  ASSERT_TRUE(c.wait([](const Record& r) {
    for (const std::string& failure : r.failures)
      if (failure.find("dialed node 5 but node 2 answered") != std::string::npos) return true;
    return false;
  }));
  EXPECT_FALSE(c.transport().connected(5));
  EXPECT_FALSE(c.transport().connected(2));
  EXPECT_TRUE(c.read([](const Record& r) { return r.ups.empty(); }));
  expect_a_still_serves_b();
}

}  // namespace
}  // namespace lunatic::cluster
