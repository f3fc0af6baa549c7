// fs_escape.wasm <dir> <outside-abs>: tries every way out of the preopened directory <dir>.
//
// The test lays out on the host, around the preopen `box`:
//   secret.txt            "TOPSECRET\n" (outside the preopen; <outside-abs> is its host path)
//   box/inside.txt        "inside\n"
//   box/sub/              a directory
//   box/abs_link    ->    <outside-abs>                (absolute symlink out)
//   box/rel_link    ->    ../secret.txt                (relative symlink out)
//   box/dir_link    ->    the directory holding secret.txt (absolute)
//   box/sub/up_link ->    ../../secret.txt
//
// Each attempt prints one line "<attempt>: denied (errno <n>)" or "<attempt>: ALLOWED ...".
// Lines starting with "inside" are things that must work. Two lines starting with "create"
// report whether making a symlink that points out was allowed, which WASI permits either way;
// following it must still be denied.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[1024];

static const char* at(const char* rel) {
  static char bufs[4][1200];
  static int next = 0;
  char* b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "%s/%s", base, rel);
  return b;
}

static void report(const char* what, int result) {
  if (result < 0) {
    printf("%s: denied (errno %d)\n", what, errno);
  } else {
    printf("%s: ALLOWED\n", what);
  }
}

static void try_read(const char* what, const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s: denied (errno %d)\n", what, errno);
    return;
  }
  char buf[128];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = '\0';
  close(fd);
  printf("%s: ALLOWED read '%s'\n", what, buf);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fs_escape <dir> <outside-abs>\n");
    return 2;
  }
  snprintf(base, sizeof base, "%s", argv[1]);
  const char* outside_abs = argv[2];
  struct stat st;

  try_read("inside open inside.txt", at("inside.txt"));
  try_read("inside open sub/../inside.txt", at("sub/../inside.txt"));

  try_read("open ../secret.txt", at("../secret.txt"));
  try_read("open sub/../../secret.txt", at("sub/../../secret.txt"));
  try_read("open /etc/passwd", "/etc/passwd");
  try_read("open the outside file by its host path", outside_abs);
  try_read("open abs_link", at("abs_link"));
  try_read("open rel_link", at("rel_link"));
  try_read("open dir_link/secret.txt", at("dir_link/secret.txt"));
  try_read("open sub/up_link", at("sub/up_link"));
  report("write through rel_link", open(at("rel_link"), O_WRONLY | O_TRUNC));
  report("stat ../secret.txt", stat(at("../secret.txt"), &st));

  DIR* d = opendir(at(".."));
  report("opendir ..", d == NULL ? -1 : 0);
  if (d != NULL) closedir(d);

  report("create ../created.txt", open(at("../created.txt"), O_CREAT | O_WRONLY, 0644));
  report("mkdir ../newdir", mkdir(at("../newdir"), 0755));
  report("unlink ../secret.txt", unlink(at("../secret.txt")));
  report("rename inside.txt to ../moved.txt", rename(at("inside.txt"), at("../moved.txt")));
  report("rename ../secret.txt to stolen.txt", rename(at("../secret.txt"), at("stolen.txt")));
  report("link inside.txt to ../linked.txt", link(at("inside.txt"), at("../linked.txt")));
  report("link ../secret.txt to hardlink.txt", link(at("../secret.txt"), at("hardlink.txt")));

  int made = symlink(outside_abs, at("made_abs_link"));
  printf("create symlink to the outside file's host path: %s\n", made == 0 ? "created" : "refused");
  try_read("open made_abs_link", at("made_abs_link"));
  made = symlink("../secret.txt", at("made_rel_link"));
  printf("create symlink to ../secret.txt: %s\n", made == 0 ? "created" : "refused");
  try_read("open made_rel_link", at("made_rel_link"));

  printf("done\n");
  return 0;
}
