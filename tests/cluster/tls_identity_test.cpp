// A node's TLS identity (cluster/tls_identity.hpp): what loads, what is refused and how the
// refusal reads, and a handshake between two identities over a socket pair.
#include "cluster/tls_identity.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include "common/unique_fd.hpp"
#include "shared/temp_dir.hpp"
#include "shared/test_certificates.hpp"

namespace lunatic::cluster {
namespace {

using testing::TestCertificates;

class TlsIdentityTest : public ::testing::Test {
 protected:
  lunatic::testing::TempDir dir_{"tls-identity"};
  TestCertificates ca_{dir_, "cluster-ca"};
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(TlsIdentityTest, ANodesFilesLoadAndItsNameIsTheCommonName) {
  auto identity = TlsIdentity::load(ca_.issue("node-a"));
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->name(), "node-a");
  EXPECT_NE(identity->server_context(), nullptr);
  EXPECT_NE(identity->client_context(), nullptr);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(identity->server_context()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_CTX_get_verify_mode(identity->client_context()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

TEST_F(TlsIdentityTest, AMissingFileIsNamedInTheError) {
  auto files = ca_.issue("node-a");
  files.private_key = dir_ / "absent.key";
  auto identity = TlsIdentity::load(files);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error().code, Errc::kIo);
  EXPECT_TRUE(contains(identity.error().message, files.private_key)) << identity.error().message;
}

TEST_F(TlsIdentityTest, AFileWithoutACertificateIsNamedInTheError) {
  auto files = ca_.issue("node-a");
  dir_.write("garbage.pem", "not a certificate\n");
  files.ca_certificate = dir_ / "garbage.pem";
  auto identity = TlsIdentity::load(files);
  ASSERT_FALSE(identity);
  EXPECT_TRUE(contains(identity.error().message, "garbage.pem")) << identity.error().message;
  EXPECT_TRUE(contains(identity.error().message, "CA certificate")) << identity.error().message;
}

TEST_F(TlsIdentityTest, AKeyOfAnotherCertificateIsRefused) {
  auto files = ca_.issue("node-a");
  files.private_key = ca_.issue("node-b").private_key;
  auto identity = TlsIdentity::load(files);
  ASSERT_FALSE(identity);
  EXPECT_TRUE(contains(identity.error().message, "does not match")) << identity.error().message;
}

TEST_F(TlsIdentityTest, ACertificateFromAnotherCaIsRefusedWhenLoaded) {
  TestCertificates other(dir_, "other-ca");
  auto files = other.issue("node-a");
  files.ca_certificate = ca_.ca_path();
  auto identity = TlsIdentity::load(files);
  ASSERT_FALSE(identity);
  EXPECT_TRUE(contains(identity.error().message, "not valid under the CA"))
      << identity.error().message;
}

// Drives a handshake between two SSL objects over a nonblocking socket pair until each side is
// done or has failed.
struct Handshake {
  bool client_done = false;
  bool server_done = false;
  std::string server_error;
  UniqueFd server_fd;
  UniqueFd client_fd;
};

Handshake shake(SSL_CTX* server_context, SSL_CTX* client_context, SSL** server_out = nullptr,
                SSL** client_out = nullptr) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  Handshake result;
  result.server_fd = UniqueFd(fds[0]);
  result.client_fd = UniqueFd(fds[1]);
  SSL* server = SSL_new(server_context);
  SSL* client = SSL_new(client_context);
  SSL_set_fd(server, fds[0]);
  SSL_set_fd(client, fds[1]);
  SSL_set_accept_state(server);
  SSL_set_connect_state(client);
  bool client_failed = false;
  bool server_failed = false;
  for (int round = 0; round < 100; ++round) {
    if (!result.client_done && !client_failed) {
      const int r = SSL_do_handshake(client);
      result.client_done = r == 1;
      client_failed = r != 1 && SSL_get_error(client, r) != SSL_ERROR_WANT_READ;
    }
    if (!result.server_done && !server_failed) {
      ERR_clear_error();
      const int r = SSL_do_handshake(server);
      result.server_done = r == 1;
      server_failed = r != 1 && SSL_get_error(server, r) != SSL_ERROR_WANT_READ;
      if (server_failed) result.server_error = take_openssl_errors("failed");
    }
    if ((result.client_done || client_failed) && (result.server_done || server_failed)) break;
  }
  ERR_clear_error();
  if (server_out != nullptr && client_out != nullptr) {
    *server_out = server;
    *client_out = client;
  } else {
    SSL_free(server);
    SSL_free(client);
  }
  return result;
}

TEST_F(TlsIdentityTest, TwoNodesOfTheClusterShakeHandsOverTls13AndSeeEachOthersName) {
  auto a = TlsIdentity::load(ca_.issue("node-a"));
  auto b = TlsIdentity::load(ca_.issue("node-b"));
  ASSERT_TRUE(a && b);
  SSL* server = nullptr;
  SSL* client = nullptr;
  const Handshake result = shake(a->server_context(), b->client_context(), &server, &client);
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(result.client_done && result.server_done) << result.server_error;
  EXPECT_EQ(SSL_version(server), TLS1_3_VERSION);
  EXPECT_EQ(peer_common_name(server), "node-b");
  EXPECT_EQ(peer_common_name(client), "node-a");
  SSL_free(server);
  SSL_free(client);
}

TEST_F(TlsIdentityTest, AClientWithoutACertificateIsRefusedByTheServer) {
  auto a = TlsIdentity::load(ca_.issue("node-a"));
  ASSERT_TRUE(a);
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> anonymous(SSL_CTX_new(TLS_client_method()),
                                                              &SSL_CTX_free);
  SSL_CTX_load_verify_file(anonymous.get(), ca_.ca_path().c_str());
  SSL_CTX_set_verify(anonymous.get(), SSL_VERIFY_PEER, nullptr);
  const Handshake result = shake(a->server_context(), anonymous.get());
  EXPECT_FALSE(result.server_done);
  EXPECT_TRUE(contains(result.server_error, "certificate")) << result.server_error;
}

TEST_F(TlsIdentityTest, AClientCertifiedByAnotherCaIsRefusedByTheServer) {
  TestCertificates other(dir_, "other-ca");
  auto a = TlsIdentity::load(ca_.issue("node-a"));
  auto stranger = TlsIdentity::load(other.issue("node-x"));
  ASSERT_TRUE(a && stranger);
  const Handshake result = shake(a->server_context(), stranger->client_context());
  EXPECT_FALSE(result.server_done);
  EXPECT_FALSE(result.server_error.empty());
}

}  // namespace
}  // namespace lunatic::cluster
