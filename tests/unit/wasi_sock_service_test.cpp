// sock_*: on sockets a process inherited as a standard stream, or accepted from one.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "wasi/fd_service.hpp"
#include "wasi/sock_service.hpp"
#include "wasi_test_support.hpp"

namespace lunatic::wasi {
namespace {

using testing::TestBlocking;

std::span<std::uint8_t> bytes_of(std::string& s) {
  return {reinterpret_cast<std::uint8_t*>(s.data()), s.size()};
}

// A context whose stdin is one end of a connected socket pair; `peer` is the other end.
struct SocketPair {
  int fds[2];
  int& peer = fds[1];
  std::unique_ptr<WasiContext> context;
  SocketPair() {
    ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
    WasiConfig config;
    config.stdin_fd = fds[0];
    config.stdout_fd = -1;
    config.stderr_fd = -1;
    context = std::move(WasiContext::create(config).value());
  }
  ~SocketPair() {
    context.reset();
    ::close(fds[0]);
    ::close(fds[1]);
  }
};

TEST(WasiSock, SendsAndReceivesOnAnInheritedSocket) {
  SocketPair s;
  TestBlocking blocking;
  EXPECT_EQ(fd_fdstat_get(*s.context, 0)->filetype, FileType::kSocketStream);
  std::string out = "ping";
  std::span<std::uint8_t> send_spans[] = {bytes_of(out)};
  EXPECT_EQ(sock_send(*s.context, &blocking, 0, send_spans, 0).value(), 4u);
  char got[8] = {};
  EXPECT_EQ(::read(s.peer, got, sizeof got), 4);
  EXPECT_STREQ(got, "ping");

  blocking.before_wait = [&] { ASSERT_EQ(::write(s.peer, "pong", 4), 4); };
  std::string in(8, '\0');
  std::span<std::uint8_t> recv_spans[] = {bytes_of(in)};
  auto received = sock_recv(*s.context, &blocking, 0, recv_spans, 0);
  ASSERT_TRUE(received.ok());
  EXPECT_EQ(received->bytes, 4u);
  EXPECT_EQ(in.substr(0, 4), "pong");
  EXPECT_EQ(blocking.fd_waits, 1);
}

TEST(WasiSock, PeeksWithoutConsumingAndWaitsForAllWhenAsked) {
  SocketPair s;
  TestBlocking blocking;
  ASSERT_EQ(::write(s.peer, "ab", 2), 2);
  std::string in(4, '\0');
  std::span<std::uint8_t> spans[] = {bytes_of(in)};
  EXPECT_EQ(sock_recv(*s.context, &blocking, 0, spans, riflags::kPeek)->bytes, 2u);
  blocking.before_wait = [&] { ASSERT_EQ(::write(s.peer, "cd", 2), 2); };
  auto all = sock_recv(*s.context, &blocking, 0, spans, riflags::kWaitall);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->bytes, 4u);
  EXPECT_EQ(in, "abcd");
  EXPECT_EQ(sock_recv(*s.context, &blocking, 0, spans, 4).error(), Errno::kInval);
}

TEST(WasiSock, ShutsDownAndReportsAClosedPeerAsEpipe) {
  SocketPair s;
  TestBlocking blocking;
  EXPECT_EQ(sock_shutdown(*s.context, 0, 0), Errno::kInval);
  EXPECT_EQ(sock_shutdown(*s.context, 0, sdflags::kWr), Errno::kSuccess);
  char byte;
  EXPECT_EQ(::read(s.peer, &byte, 1), 0);  // the peer sees end of stream
  std::string out = "x";
  std::span<std::uint8_t> spans[] = {bytes_of(out)};
  EXPECT_EQ(sock_send(*s.context, &blocking, 0, spans, 0).error(), Errno::kPipe);
  EXPECT_EQ(sock_send(*s.context, &blocking, 0, spans, 1).error(), Errno::kInval);
}

TEST(WasiSock, RefusesDescriptorsThatAreNotSockets) {
  testing::Sandbox s;
  TestBlocking blocking;
  std::string data = "x";
  std::span<std::uint8_t> spans[] = {bytes_of(data)};
  EXPECT_EQ(sock_send(*s.context, &blocking, testing::Sandbox::kDir, spans, 0).error(),
            Errno::kNotSock);
  EXPECT_EQ(sock_recv(*s.context, &blocking, 99, spans, 0).error(), Errno::kBadf);
  EXPECT_EQ(sock_shutdown(*s.context, testing::Sandbox::kDir, sdflags::kRd), Errno::kNotSock);
  EXPECT_EQ(sock_accept(*s.context, &blocking, testing::Sandbox::kDir, 0).error(), Errno::kNotSock);
}

TEST(WasiSock, AcceptsFromAnInheritedListenerWithoutBlockingTheThread) {
  testing::TempDir dir;
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un address {};
  address.sun_family = AF_UNIX;
  std::string path = dir / "sock";
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  WasiConfig config;
  config.stdin_fd = listener;
  config.stdout_fd = config.stderr_fd = -1;
  auto context = std::move(WasiContext::create(config).value());

  TestBlocking blocking;
  // NONBLOCK on the listener (not the flags argument, which is for the new socket) makes an
  // accept with nobody waiting fail at once.
  ASSERT_EQ(fd_fdstat_set_flags(*context, 0, fdflags::kNonblock), Errno::kSuccess);
  EXPECT_EQ(sock_accept(*context, &blocking, 0, 0).error(), Errno::kAgain);
  ASSERT_EQ(fd_fdstat_set_flags(*context, 0, 0), Errno::kSuccess);

  int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  blocking.before_wait = [&] {
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  };
  auto accepted = sock_accept(*context, &blocking, 0, fdflags::kNonblock);
  ASSERT_TRUE(accepted.ok()) << errno_name(accepted.error());
  EXPECT_EQ(blocking.fd_waits, 1);
  EXPECT_EQ(fd_fdstat_get(*context, *accepted)->filetype, FileType::kSocketStream);
  EXPECT_EQ(fd_fdstat_get(*context, *accepted)->flags, fdflags::kNonblock);
  ASSERT_EQ(::write(client, "hi", 2), 2);
  std::string in(2, '\0');
  std::span<std::uint8_t> spans[] = {bytes_of(in)};
  EXPECT_EQ(fd_read(*context, &blocking, *accepted, spans).value(), 2u);
  EXPECT_EQ(in, "hi");
  context.reset();
  ::close(client);
  ::close(listener);
}

}  // namespace
}  // namespace lunatic::wasi
