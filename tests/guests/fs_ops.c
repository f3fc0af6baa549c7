// fs_ops.wasm <dir>: exercises ordinary file-system calls inside one preopened directory.
//
// <dir> is the guest path of the preopen. The test puts <dir>/input.txt there first, containing
// "from the host\n". Every step prints "ok <step>" or "FAIL <step>: <reason>"; the last line
// is "done". Left behind for the host to check: <dir>/out.txt ("written by the guest\n") and the
// empty directory <dir>/keepdir; <dir>/sub is created and removed again.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;
static char base[1024];

static const char* at(const char* rel) {
  static char bufs[4][1200];
  static int next = 0;
  char* b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "%s/%s", base, rel);
  return b;
}

static void step(int ok, const char* name) {
  if (ok) {
    printf("ok %s\n", name);
  } else {
    ++failures;
    printf("FAIL %s: %s (errno %d)\n", name, strerror(errno), errno);
  }
}

static int read_all(int fd, char* buf, size_t cap) {
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0) return -1;
    if (n == 0) break;
    len += (size_t)n;
    if (len == cap - 1) break;
  }
  buf[len] = '\0';
  return (int)len;
}

static int file_equals(const char* path, const char* want) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  char buf[256];
  int n = read_all(fd, buf, sizeof buf);
  close(fd);
  return n >= 0 && strcmp(buf, want) == 0;
}

static int cmp_str(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

// Names in a directory, "." and ".." left out, sorted, joined by spaces.
static int list_dir(const char* path, char* out, size_t cap) {
  DIR* d = opendir(path);
  if (d == NULL) return -1;
  char* names[64];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL && n < 64) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp_str);
  out[0] = '\0';
  for (int i = 0; i < n; ++i) {
    if (i > 0) strncat(out, " ", cap - strlen(out) - 1);
    strncat(out, names[i], cap - strlen(out) - 1);
    free(names[i]);
  }
  return n;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fs_ops <dir>\n");
    return 2;
  }
  snprintf(base, sizeof base, "%s", argv[1]);
  struct stat st;
  char buf[256];

  step(file_equals(at("input.txt"), "from the host\n"), "read a file the host wrote");

  step(mkdir(at("sub"), 0755) == 0, "mkdir sub");
  step(stat(at("sub"), &st) == 0 && S_ISDIR(st.st_mode), "stat sub is a directory");

  int fd = open(at("sub/a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644);
  step(fd >= 0, "create sub/a.txt");
  step(write(fd, "hello file\n", 11) == 11, "write 11 bytes");
  step(close(fd) == 0, "close after write");
  step(open(at("sub/a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 && errno == EEXIST,
       "O_EXCL on an existing file fails with EEXIST");

  fd = open(at("sub/a.txt"), O_RDWR);
  step(fd >= 0, "open sub/a.txt read-write");
  step(read_all(fd, buf, sizeof buf) == 11 && strcmp(buf, "hello file\n") == 0, "read it back");
  step(lseek(fd, 6, SEEK_SET) == 6, "seek to 6");
  step(read(fd, buf, 4) == 4 && memcmp(buf, "file", 4) == 0, "read 4 bytes at 6");
  step(lseek(fd, 0, SEEK_END) == 11, "seek to the end");
  step(write(fd, "more\n", 5) == 5, "append 5 bytes");
  step(lseek(fd, -5, SEEK_END) == 11, "seek back 5 from the end");
  memset(buf, 0, sizeof buf);
  step(read(fd, buf, 100) == 5 && strcmp(buf, "more\n") == 0, "read the appended bytes");
  step(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 16, "fstat: regular, 16 bytes");
  step(close(fd) == 0, "close after read");
  step(stat(at("sub/a.txt"), &st) == 0 && st.st_size == 16, "stat: 16 bytes");

  step(rename(at("sub/a.txt"), at("sub/b.txt")) == 0, "rename a.txt to b.txt");
  step(stat(at("sub/a.txt"), &st) != 0 && errno == ENOENT, "a.txt is gone");
  step(file_equals(at("sub/b.txt"), "hello file\nmore\n"), "b.txt has the content");

  step(symlink("b.txt", at("sub/link")) == 0, "symlink link -> b.txt");
  ssize_t n = readlink(at("sub/link"), buf, sizeof buf - 1);
  if (n >= 0) buf[n] = '\0';
  step(n == 5 && strcmp(buf, "b.txt") == 0, "readlink gives b.txt");
  step(lstat(at("sub/link"), &st) == 0 && S_ISLNK(st.st_mode), "lstat sees a symlink");
  step(file_equals(at("sub/link"), "hello file\nmore\n"), "open through the symlink");

  char names[512];
  step(list_dir(at("sub"), names, sizeof names) == 2 && strcmp(names, "b.txt link") == 0,
       "readdir sub lists b.txt and link");

  fd = open(at("out.txt"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  step(fd >= 0 && write(fd, "written by the guest\n", 21) == 21 && close(fd) == 0, "write out.txt");

  step(unlink(at("sub/link")) == 0, "unlink link");
  step(unlink(at("sub/b.txt")) == 0, "unlink b.txt");
  step(list_dir(at("sub"), names, sizeof names) == 0, "sub is empty");
  step(rmdir(at("sub")) == 0, "rmdir sub");
  step(stat(at("sub"), &st) != 0 && errno == ENOENT, "sub is gone");
  step(mkdir(at("keepdir"), 0755) == 0, "mkdir keepdir");

  printf("done\n");
  return failures == 0 ? 0 : 1;
}
