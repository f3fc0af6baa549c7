// The floor under any remote round trip on this machine: two OS processes doing blocking 8-byte
// round trips over a loopback TCP connection (TCP_NODELAY), no TLS, no runtime.
//
//   tcp_pingpong N      prints `cluster: mode=tcp n=N ns=<total> checked=<round trips>`
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int exact(ssize_t (*io)(int, void*, size_t), int fd, void* buffer, size_t size) {
  for (size_t done = 0; done < size;) {
    const ssize_t n = io(fd, (char*)buffer + done, size - done);
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

static ssize_t write_some(int fd, void* buffer, size_t size) { return write(fd, buffer, size); }

static void no_delay(int fd) {
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const long n = atol(argv[1]);
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (listener < 0 || bind(listener, (struct sockaddr*)&address, sizeof address) != 0 ||
      listen(listener, 1) != 0 || getsockname(listener, (struct sockaddr*)&address, &length) != 0)
    return 1;
  const pid_t echo = fork();
  if (echo == 0) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr*)&address, sizeof address) != 0) _exit(1);
    no_delay(fd);
    uint64_t value;
    while (exact(read, fd, &value, sizeof value) == 0) {
      if (exact(write_some, fd, &value, sizeof value) != 0) break;
    }
    _exit(0);
  }
  const int fd = accept(listener, NULL, NULL);
  if (fd < 0) return 1;
  no_delay(fd);
  long checked = 0;
  const uint64_t start = now_ns();
  for (long i = 0; i < n; ++i) {
    uint64_t value = (uint64_t)i;
    if (exact(write_some, fd, &value, sizeof value) != 0 ||
        exact(read, fd, &value, sizeof value) != 0)
      break;
    checked += value == (uint64_t)i;
  }
  const uint64_t ns = now_ns() - start;
  close(fd);
  waitpid(echo, NULL, 0);
  printf("cluster: mode=tcp n=%ld ns=%llu checked=%ld\n", n, (unsigned long long)ns, checked);
  return 0;
}
