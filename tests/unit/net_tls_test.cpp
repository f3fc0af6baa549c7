// TLS client connections over a list of addresses (net/tls.hpp), on loopback without a guest:
// which address's failure a caller hears about when none connects.
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "net/network_policy.hpp"
#include "net/socket_service.hpp"
#include "net/tls.hpp"
#include "runtime/reactor.hpp"
#include "wasi_test_support.hpp"

namespace lunatic::net {
namespace {

using wasi::testing::loopback;

class NetTlsConnect : public ::testing::Test {
 protected:
  // An address nobody listens on: a listener's, once it is closed.
  SocketAddress refusing_address() {
    auto listener = tcp_listen(reactor_, loopback(0));
    EXPECT_TRUE(listener.ok());
    return local_address(*listener.value).value;
  }

  runtime::Reactor reactor_;
  wasi::testing::TestBlocking blocking_;
  SslContext context_ = client_context({}).value();
};

TEST_F(NetTlsConnect, WhenNoAddressConnectsTheErrorIsWhyTheLastOneDidNot) {
  const SocketAddress refusing = refusing_address();
  const SocketAddress denied = loopback(1);
  auto permitted = [&](const SocketAddress& address) { return address.port() != denied.port(); };

  const std::vector<SocketAddress> denied_last{refusing, denied};
  TlsResult error;
  EXPECT_EQ(TlsStream::connect_first(reactor_, blocking_, denied_last, permitted, context_,
                                     "localhost", std::nullopt, error),
            nullptr);
  EXPECT_EQ(error.error, denied_text(NetworkAccess::kConnect, denied));
  EXPECT_FALSE(error.timed_out);

  const std::vector<SocketAddress> refused_last{denied, refusing};
  error = {};
  EXPECT_EQ(TlsStream::connect_first(reactor_, blocking_, refused_last, permitted, context_,
                                     "localhost", std::nullopt, error),
            nullptr);
  EXPECT_EQ(error.error, os_error_text(ECONNREFUSED));
}

}  // namespace
}  // namespace lunatic::net
