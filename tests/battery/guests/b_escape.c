/* b_escape.wasm <mode> [args]: ways out of the sandbox and ways to grant more than one has.
 *
 * The runner lays out, around the preopen `box` (--dir ROOT/box:box):
 *   ROOT/canary.txt         a secret token (must never be read, written or listed)
 *   ROOT/ROOT_MARKER        a file whose name shows up in a listing of ROOT
 *   ROOT/outside/secret2.txt
 *   box/inside.txt  box/sub/inside2.txt
 *   box/link_out -> ..      box/abs_link -> ROOT (absolute)   box/link_file -> ../canary.txt
 *   box/link_chain -> link_out                                box/sub/up_link -> ../../canary.txt
 *
 * Modes:
 *   preopen_paths ROOT   a child tries config_preopen_dir with each path of a list for a
 *                        grandchild, which lists and reads what it was given:
 *                        "preopen '<p>': granted|refused"
 *   wasi_paths ROOT      raw WASI calls that try to leave box: "wasi <what>: denied errno=N" or
 *                        "wasi <what>: ALLOWED ..."; "inside <what>: ok|errno=N" must work
 *   grants               a restricted child tries to give a grandchild more than it has:
 *                        "grant <what>: allowed|refused"
 *   env                  prints its environment and arguments, and a configured child's
 *   network              a child with network denied / allowed only to one port tries more
 *   preopen_swap         grants box/sub, then swaps the path for a symlink out; the child must
 *                        still get the directory it was granted */
#include <errno.h>

#include "battery.h"

static const char* g_root = "";

/* Spawned functions run in a fresh instance where main never ran: the root comes from argv[2],
 * which a child spawned with config -1 shares with main. */
static void load_root(void) {
  if (g_root[0]) return;
  size_t count = 0, size = 0;
  if (__wasi_args_sizes_get(&count, &size) != 0 || count < 3) return;
  char** argv = calloc(count + 1, sizeof *argv);
  char* buf = malloc(size + 1);
  if (!argv || !buf || __wasi_args_get((uint8_t**)argv, (uint8_t*)buf) != 0) return;
  g_root = argv[2];
}

/* ---- probe: what a process can see through its preopens ---- */

static void list_dir(__wasi_fd_t fd, char* out, size_t cap) {
  static uint8_t buf[8192];
  size_t used = 0;
  out[0] = 0;
  if (__wasi_fd_readdir(fd, buf, sizeof buf, 0, &used) != 0) {
    snprintf(out, cap, "(readdir failed)");
    return;
  }
  size_t off = 0, o = 0;
  while (off + sizeof(__wasi_dirent_t) <= used) {
    __wasi_dirent_t d;
    memcpy(&d, buf + off, sizeof d);
    off += sizeof d;
    size_t n = d.d_namlen;
    if (off + n > used) break;
    if (o + n + 2 < cap) {
      memcpy(out + o, buf + off, n);
      o += n;
      out[o++] = ' ';
      out[o] = 0;
    }
    off += n;
  }
}

/* Reads the first line of `path` beneath `dir`: returns 0 and the text, or the errno. */
static int read_at(__wasi_fd_t dir, const char* path, char* out, size_t cap) {
  __wasi_fd_t f;
  out[0] = 0;
  __wasi_errno_t e = __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0,
                                      __WASI_RIGHTS_FD_READ, 0, 0, &f);
  if (e != 0) return e;
  __wasi_iovec_t iov = {(uint8_t*)out, cap - 1};
  size_t n = 0;
  e = __wasi_fd_read(f, &iov, 1, &n);
  (void)__wasi_fd_close(f);
  if (e != 0) return e;
  out[n] = 0;
  char* nl = strchr(out, '\n');
  if (nl) *nl = 0;
  return 0;
}

EXPORT("probe") void probe(int64_t parent, int32_t index) {
  static const char* const tries[] = {
      "canary.txt",          "../canary.txt",          "../../canary.txt",
      "outside/secret2.txt", "../outside/secret2.txt", "inside.txt",
      "inside2.txt"};
  for (__wasi_fd_t fd = 3; fd < 16; ++fd) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) != 0) break;
    char name[256] = {0};
    size_t nl = ps.u.dir.pr_name_len < sizeof name - 1 ? ps.u.dir.pr_name_len : sizeof name - 1;
    (void)__wasi_fd_prestat_dir_name(fd, (uint8_t*)name, nl);
    name[nl] = 0;
    char listing[1024];
    list_dir(fd, listing, sizeof listing);
    say("probe %d: preopen fd %u '%s' lists: %s", index, fd, name, listing);
    for (unsigned i = 0; i < sizeof tries / sizeof tries[0]; ++i) {
      char text[128];
      int e = read_at(fd, tries[i], text, sizeof text);
      if (e == 0) {
        say("probe %d: '%s' read %s: %s", index, name, tries[i], text);
      }
    }
  }
  send_value((uint64_t)parent, TAG_RESULT, index);
}

/* ---- preopen_paths ---- */

static const char* preopen_path(int i, char* buf, size_t cap) {
  static const char* const fixed[] = {"box/sub",
                                      "box",
                                      "box/sub/..",
                                      "box/..",
                                      "box/../..",
                                      "box/sub/../..",
                                      "box/./..",
                                      "..",
                                      ".",
                                      "/",
                                      "box/link_out",
                                      "box/abs_link",
                                      "box/link_chain",
                                      "box/sub/up_link",
                                      "box/inside.txt",
                                      "box/missing",
                                      "",
                                      "outside",
                                      "box/link_out/outside",
                                      "box//..",
                                      "box/sub/../../box",
                                      "/box",
                                      "./box/.."};
  const int n_fixed = (int)(sizeof fixed / sizeof fixed[0]);
  if (i < n_fixed) return fixed[i];
  if (i == n_fixed) return g_root;
  if (i == n_fixed + 1) {
    snprintf(buf, cap, "%s/outside", g_root);
    return buf;
  }
  if (i == n_fixed + 2) {
    snprintf(buf, cap, "%s/box", g_root);
    return buf;
  }
  return 0;
}

EXPORT("try_preopen") void try_preopen(int64_t parent, int32_t index) {
  load_root();
  char buf[1200];
  const char* path = preopen_path(index, buf, sizeof buf);
  int64_t config = lunatic_create_config();
  lunatic_config_preopen_dir((uint64_t)config, LUNATIC_PTR(path), (uint32_t)strlen(path));
  /* Reached only when the grant was made: let a grandchild use it. */
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i32(&p, index);
  uint64_t child = 0;
  if (spawn_fn(0, config, -1, "probe", &p, &child) != 0) {
    say("preopen %d: spawn with the grant failed: %s", index, error_text(child));
  } else {
    (void)receive_tag(TAG_RESULT, 5000);
  }
  send_value((uint64_t)parent, TAG_RESULT, index);
}

static int preopen_paths(void) {
  lunatic_die_when_link_dies(0);
  char buf[1200];
  for (int i = 0;; ++i) {
    const char* path = preopen_path(i, buf, sizeof buf);
    if (!path) break;
    char shown[1200];
    snprintf(shown, sizeof shown, "%s", path);
    params_t p = {.len = 0};
    param_i64(&p, (int64_t)lunatic_process_id());
    param_i32(&p, i);
    uint64_t child = 0;
    if (spawn_fn(1000 + i, -1, -1, "try_preopen", &p, &child) != 0) {
      say("spawn failed: %s", error_text(child));
      return 1;
    }
    uint32_t r = receive_any(10000);
    if (r == LUNATIC_MESSAGE_DATA && lunatic_message_get_tag() == TAG_RESULT) {
      say("preopen '%s': granted", shown);
    } else if (r == LUNATIC_MESSAGE_LINK_DIED && lunatic_message_get_tag() == 1000 + i) {
      say("preopen '%s': refused", shown);
    } else {
      say("preopen '%s': unexpected receive %u", shown, r);
    }
  }
  say("preopen_paths done");
  return 0;
}

/* ---- wasi_paths ---- */

static void report(const char* what, __wasi_errno_t e, const char* extra) {
  if (e == 0) {
    say("wasi %s: ALLOWED %s", what, extra ? extra : "");
  } else {
    say("wasi %s: denied errno=%u", what, e);
  }
}

static void inside(const char* what, __wasi_errno_t e) {
  if (e == 0)
    say("inside %s: ok", what);
  else
    say("inside %s: errno=%u", what, e);
}

static void try_read(__wasi_fd_t dir, const char* path) {
  char text[128];
  char what[300];
  snprintf(what, sizeof what, "read %s", path);
  int e = read_at(dir, path, text, sizeof text);
  report(what, (__wasi_errno_t)e, text);
}

static __wasi_errno_t open_w(__wasi_fd_t dir, const char* path, __wasi_oflags_t o) {
  __wasi_fd_t f;
  __wasi_errno_t e = __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, o,
                                      __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READ, 0, 0, &f);
  if (e == 0) {
    static const char msg[] = "PWNED\n";
    __wasi_ciovec_t iov = {(const uint8_t*)msg, sizeof msg - 1};
    size_t n;
    (void)__wasi_fd_write(f, &iov, 1, &n);
    (void)__wasi_fd_close(f);
  }
  return e;
}

static int wasi_paths(void) {
  const __wasi_fd_t box = 3;
  __wasi_prestat_t ps;
  if (__wasi_fd_prestat_get(box, &ps) != 0) {
    say("no preopen at fd 3");
    return 1;
  }
  char abs_canary[1200];
  snprintf(abs_canary, sizeof abs_canary, "%s/canary.txt", g_root);
  char via_abs_link[64] = "abs_link/canary.txt";

  inside("read inside.txt", (__wasi_errno_t)({
           char t[64];
           read_at(box, "inside.txt", t, sizeof t);
         }));
  inside("read sub/../inside.txt", (__wasi_errno_t)({
           char t[64];
           read_at(box, "sub/../inside.txt", t, sizeof t);
         }));
  inside("create sub/new.txt", open_w(box, "sub/new.txt", __WASI_OFLAGS_CREAT));
  inside("symlink sub/in_link -> ../inside.txt",
         __wasi_path_symlink("../inside.txt", box, "sub/in_link"));
  inside("read sub/in_link", (__wasi_errno_t)({
           char t[64];
           read_at(box, "sub/in_link", t, sizeof t);
         }));

  try_read(box, "../canary.txt");
  try_read(box, "sub/../../canary.txt");
  try_read(box, "./../canary.txt");
  try_read(box, abs_canary);
  try_read(box, "/etc/passwd");
  try_read(box, "link_out/canary.txt");
  try_read(box, via_abs_link);
  try_read(box, "link_file");
  try_read(box, "link_chain/canary.txt");
  try_read(box, "sub/up_link");
  try_read(box, "link_out/outside/secret2.txt");
  try_read(box, "sub/../link_out/canary.txt");

  report("write-trunc link_file", open_w(box, "link_file", __WASI_OFLAGS_TRUNC), 0);
  report("write-append link_file", open_w(box, "link_file", 0), 0);
  report("create ../evil.txt", open_w(box, "../evil.txt", __WASI_OFLAGS_CREAT), 0);
  report("create link_out/evil.txt", open_w(box, "link_out/evil.txt", __WASI_OFLAGS_CREAT), 0);
  report("create abs path", open_w(box, "/tmp/lunatic_battery_evil.txt", __WASI_OFLAGS_CREAT), 0);
  report("mkdir ../evil_dir", __wasi_path_create_directory(box, "../evil_dir"), 0);
  report("mkdir link_out/evil_dir", __wasi_path_create_directory(box, "link_out/evil_dir"), 0);
  report("rename inside.txt -> ../moved.txt",
         __wasi_path_rename(box, "inside.txt", box, "../moved.txt"), 0);
  report("rename ../canary.txt -> stolen.txt",
         __wasi_path_rename(box, "../canary.txt", box, "stolen.txt"), 0);
  report("rename link_out/canary.txt -> stolen2.txt",
         __wasi_path_rename(box, "link_out/canary.txt", box, "stolen2.txt"), 0);
  report("link ../canary.txt -> hard.txt",
         __wasi_path_link(box, 0, "../canary.txt", box, "hard.txt"), 0);
  report("link follow link_file -> hard2.txt",
         __wasi_path_link(box, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_file", box, "hard2.txt"),
         0);
  report("symlink my_out -> ../canary.txt", __wasi_path_symlink("../canary.txt", box, "my_out"), 0);
  try_read(box, "my_out");
  report("symlink my_abs -> /etc/passwd", __wasi_path_symlink("/etc/passwd", box, "my_abs"), 0);
  try_read(box, "my_abs");
  report("symlink sub/my_up -> ../../canary.txt",
         __wasi_path_symlink("../../canary.txt", box, "sub/my_up"), 0);
  try_read(box, "sub/my_up");
  report("unlink ../canary.txt", __wasi_path_unlink_file(box, "../canary.txt"), 0);
  report("unlink link_out/canary.txt", __wasi_path_unlink_file(box, "link_out/canary.txt"), 0);
  /* (the label does not name the marker file: its name in the output means a listing leaked) */
  report("unlink link_out/<marker>", __wasi_path_unlink_file(box, "link_out/ROOT_MARKER"), 0);
  report("rmdir ../outside", __wasi_path_remove_directory(box, "../outside"), 0);
  report("rmdir link_out/outside", __wasi_path_remove_directory(box, "link_out/outside"), 0);
  {
    __wasi_filestat_t st;
    report("stat follow ../canary.txt",
           __wasi_path_filestat_get(box, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "../canary.txt", &st),
           0);
    report("stat follow link_file",
           __wasi_path_filestat_get(box, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_file", &st), 0);
    report("stat follow link_out",
           __wasi_path_filestat_get(box, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_out", &st), 0);
  }
  report("set-times follow link_file",
         __wasi_path_filestat_set_times(box, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_file", 0, 0,
                                        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
         0);
  report("set-times ../canary.txt",
         __wasi_path_filestat_set_times(box, 0, "../canary.txt", 0, 0,
                                        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
         0);
  {
    const char* dirs[] = {"..", "link_out", "abs_link", "link_chain", "sub/..", "sub/../.."};
    for (unsigned i = 0; i < sizeof dirs / sizeof dirs[0]; ++i) {
      __wasi_fd_t d;
      __wasi_errno_t e = __wasi_path_open(
          box, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, dirs[i], __WASI_OFLAGS_DIRECTORY,
          __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN, __WASI_RIGHTS_FD_READ, 0, &d);
      char what[64];
      snprintf(what, sizeof what, "opendir %s", dirs[i]);
      if (e == 0) {
        char listing[1024];
        list_dir(d, listing, sizeof listing);
        /* sub/.. is box itself: allowed, and it must list box's own entries */
        if (!strcmp(dirs[i], "sub/..")) {
          say("inside opendir sub/..: ok lists: %s", listing);
        } else {
          report(what, 0, listing);
        }
        /* a subdirectory is a boundary of its own */
        char text[64];
        int e2 = read_at(d, "../canary.txt", text, sizeof text);
        char what2[96];
        snprintf(what2, sizeof what2, "read ../canary.txt beneath %s", dirs[i]);
        report(what2, (__wasi_errno_t)e2, text);
        (void)__wasi_fd_close(d);
      } else {
        report(what, e, 0);
      }
    }
  }
  {
    /* a directory fd opened inside: its .. is a boundary too */
    __wasi_fd_t sub;
    if (__wasi_path_open(box, 0, "sub", __WASI_OFLAGS_DIRECTORY,
                         __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN, __WASI_RIGHTS_FD_READ,
                         0, &sub) == 0) {
      try_read(sub, "../inside.txt");
      try_read(sub, "../../canary.txt");
      (void)__wasi_fd_close(sub);
    }
  }
  {
    char longpath[5000];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = 0;
    report("read a 4999-byte path", (__wasi_errno_t)({
             char t[64];
             read_at(box, longpath, t, sizeof t);
           }),
           0);
    char deep[4000];
    size_t o = 0;
    while (o + 3 < sizeof deep - 20) {
      memcpy(deep + o, "../", 3);
      o += 3;
    }
    memcpy(deep + o, "canary.txt", 11);
    try_read(box, deep);
  }
  say("wasi_paths done");
  return 0;
}

/* ---- grants ---- */

static const char* const kGrants[] = {
    "set_can_compile_modules 1",  /* 0 refused */
    "set_can_spawn_processes 1",  /* 1 allowed: it has it */
    "set_can_create_configs 1",   /* 2 allowed: it has it */
    "set_max_memory 128 MiB",     /* 3 refused: above its own 64 MiB */
    "set_max_memory 32 MiB",      /* 4 allowed */
    "set_max_fuel 0 (unlimited)", /* 5 refused: its own is limited */
    "set_max_fuel 200000",        /* 6 refused: above its own 100000 */
    "set_max_fuel 1000",          /* 7 allowed */
    "set_can_use_network 1",      /* 8 refused: it is restricted */
    "allow_network 0.0.0.0/0",    /* 9 refused: it is restricted */
    "preopen_dir box",            /* 10 refused: it has no preopen */
    "preopen_dir .",              /* 11 refused */
    "preopen_dir /",              /* 12 refused */
    "set_max_processes 1000000",  /* 13 allowed: only restricts */
    "set_max_mailbox_messages 1", /* 14 allowed */
    "add_environment_variable",   /* 15 allowed: grants nothing of the host */
};
#define GRANTS (int)(sizeof kGrants / sizeof kGrants[0])

EXPORT("try_grant") void try_grant(int64_t parent, int32_t k) {
  int64_t c = lunatic_create_config();
  if (c < 0) {
    say("grant %s: create_config returned %lld", kGrants[k], (long long)c);
    send_value((uint64_t)parent, TAG_RESULT, k);
    return;
  }
  uint64_t config = (uint64_t)c;
  static const uint8_t any4[4] = {0, 0, 0, 0};
  switch (k) {
    case 0:
      lunatic_config_set_can_compile_modules(config, 1);
      break;
    case 1:
      lunatic_config_set_can_spawn_processes(config, 1);
      break;
    case 2:
      lunatic_config_set_can_create_configs(config, 1);
      break;
    case 3:
      lunatic_config_set_max_memory(config, 128ull << 20);
      break;
    case 4:
      lunatic_config_set_max_memory(config, 32ull << 20);
      break;
    case 5:
      lunatic_config_set_max_fuel(config, 0);
      break;
    case 6:
      lunatic_config_set_max_fuel(config, 200000);
      break;
    case 7:
      lunatic_config_set_max_fuel(config, 1000);
      break;
    case 8:
      lunatic_config_set_can_use_network(config, 1);
      break;
    case 9:
      lunatic_config_allow_network(config, 0, 4, LUNATIC_PTR(any4), 0, 0, 65535);
      break;
    case 10:
      lunatic_config_preopen_dir(config, LUNATIC_PTR("box"), 3);
      break;
    case 11:
      lunatic_config_preopen_dir(config, LUNATIC_PTR("."), 1);
      break;
    case 12:
      lunatic_config_preopen_dir(config, LUNATIC_PTR("/"), 1);
      break;
    case 13:
      lunatic_config_set_max_processes(config, 1000000);
      break;
    case 14:
      lunatic_config_set_max_mailbox_messages(config, 1);
      break;
    case 15:
      lunatic_config_add_environment_variable(config, LUNATIC_PTR("K"), 1, LUNATIC_PTR("V"), 1);
      break;
  }
  send_value((uint64_t)parent, TAG_RESULT, k);
}

EXPORT("try_spawn_without_permission") void try_spawn_without_permission(int64_t parent) {
  uint64_t id = 0;
  uint32_t r = spawn_fn(0, -1, -1, "return_now", 0, &id);
  say("spawn without can_spawn_processes returned %u", r);
  send_value((uint64_t)parent, TAG_RESULT, 99);
}

EXPORT("restricted") void restricted(int64_t parent) {
  lunatic_die_when_link_dies(0);
  for (int k = 0; k < GRANTS; ++k) {
    params_t p = {.len = 0};
    param_i64(&p, (int64_t)lunatic_process_id());
    param_i32(&p, k);
    uint64_t child = 0;
    if (spawn_fn(2000 + k, -1, -1, "try_grant", &p, &child) != 0) {
      say("grant %s: spawn failed: %s", kGrants[k], error_text(child));
      continue;
    }
    uint32_t r = receive_any(10000);
    if (r == LUNATIC_MESSAGE_DATA && lunatic_message_get_tag() == TAG_RESULT) {
      say("grant %s: allowed", kGrants[k]);
    } else if (r == LUNATIC_MESSAGE_LINK_DIED && lunatic_message_get_tag() == 2000 + k) {
      say("grant %s: refused", kGrants[k]);
    } else {
      say("grant %s: unexpected receive %u", kGrants[k], r);
    }
  }
  /* What a new config made here starts with. */
  int64_t c = lunatic_create_config();
  if (c >= 0) {
    say("new config: max_memory=%llu max_fuel=%llu can_use_network=%u can_compile=%u",
        (unsigned long long)lunatic_config_get_max_memory((uint64_t)c),
        (unsigned long long)lunatic_config_get_max_fuel((uint64_t)c),
        lunatic_config_can_use_network((uint64_t)c),
        lunatic_config_can_compile_modules((uint64_t)c));
    /* A child with that config (no permissions at all) tries to spawn: a trap. */
    params_t p = {.len = 0};
    param_i64(&p, (int64_t)lunatic_process_id());
    uint64_t child = 0;
    if (spawn_fn(3000, c, -1, "try_spawn_without_permission", &p, &child) == 0) {
      uint32_t r = receive_any(10000);
      if (r == LUNATIC_MESSAGE_LINK_DIED)
        say("spawn without permission: refused");
      else
        say("spawn without permission: ALLOWED (%u)", r);
    }
  }
  /* Compiling without permission. */
  static const uint8_t empty_module[8] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  uint64_t mid = 0;
  int32_t cr = lunatic_compile_module(LUNATIC_PTR(empty_module), 8, LUNATIC_PTR(&mid));
  say("compile without permission returned %d", cr);
  /* Growing past its own max_memory (64 MiB). */
  long g = __builtin_wasm_memory_grow(0, 1100); /* ~69 MiB more */
  say("grow past own max_memory: %s", g < 0 ? "refused" : "ALLOWED");
  send_value((uint64_t)parent, TAG_RESULT, 0);
}

static int grants(void) {
  uint64_t config = (uint64_t)lunatic_create_config();
  lunatic_config_set_can_spawn_processes(config, 1);
  lunatic_config_set_can_create_configs(config, 1);
  lunatic_config_set_max_memory(config, 64ull << 20);
  lunatic_config_set_max_fuel(config, 100000);
  lunatic_config_set_can_use_network(config, 0);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t child = 0;
  if (spawn_fn(0, (int64_t)config, -1, "restricted", &p, &child) != 0) {
    say("spawn failed: %s", error_text(child));
    return 1;
  }
  say("grants done: %s", receive_value(TAG_RESULT, 60000, -1) == 0 ? "yes" : "no");
  return 0;
}

/* ---- env ---- */

static void print_env(const char* who, int argc, char** argv) {
  size_t count = 0, size = 0;
  if (__wasi_environ_sizes_get(&count, &size) != 0) return;
  char** env = calloc(count + 1, sizeof *env);
  char* buf = malloc(size + 1);
  if (!env || !buf) return;
  if (__wasi_environ_get((uint8_t**)env, (uint8_t*)buf) != 0) return;
  say("%s env count=%zu", who, count);
  for (size_t i = 0; i < count; ++i) say("%s env %s", who, env[i]);
  for (int i = 0; i < argc; ++i) say("%s arg %s", who, argv[i]);
  /* The preopens it sees. */
  for (__wasi_fd_t fd = 3; fd < 16; ++fd) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) != 0) break;
    say("%s preopen fd %u", who, fd);
  }
}

EXPORT("env_child") void env_child(int64_t parent) {
  size_t count = 0, size = 0;
  (void)__wasi_args_sizes_get(&count, &size);
  char** argv = calloc(count + 1, sizeof *argv);
  char* buf = malloc(size + 1);
  if (argv && buf && __wasi_args_get((uint8_t**)argv, (uint8_t*)buf) == 0) {
    print_env("child", (int)count, argv);
  }
  send_value((uint64_t)parent, TAG_RESULT, 0);
}

static int env_mode(int argc, char** argv) {
  print_env("main", argc, argv);
  uint64_t config = (uint64_t)lunatic_create_config();
  lunatic_config_add_environment_variable(config, LUNATIC_PTR("CHILD_ONLY"), 10, LUNATIC_PTR("yes"),
                                          3);
  lunatic_config_add_command_line_argument(config, LUNATIC_PTR("child0"), 6);
  (void)spawn_with_parent(0, "env_child"); /* config -1: main's view */
  (void)receive_value(TAG_RESULT, 5000, -1);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t id = 0;
  if (spawn_fn(0, (int64_t)config, -1, "env_child", &p, &id) == 0) {
    (void)receive_value(TAG_RESULT, 5000, -1);
  }
  say("env done");
  return 0;
}

/* ---- network ---- */

static const uint8_t kLoop4[4] = {127, 0, 0, 1};
static const uint8_t kLoop4b[4] = {127, 0, 0, 2};
static const uint8_t kMapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1};

static void net_outcome(const char* who, const char* what, uint32_t r, uint64_t id) {
  if (r == 0) {
    say("%s %s: ALLOWED", who, what);
  } else if (r == 1) {
    say("%s %s: denied: %s", who, what, error_text(id));
  } else {
    say("%s %s: result %u", who, what, r);
  }
}

EXPORT("net_child") void net_child(int64_t parent, int32_t port, int32_t mode) {
  const char* who = mode == 0 ? "denied-child" : "rule-child";
  uint64_t id = 0;
  uint32_t r =
      lunatic_net_tcp_connect(4, LUNATIC_PTR(kLoop4), (uint32_t)port, 0, 0, 2000, LUNATIC_PTR(&id));
  if (mode == 0)
    net_outcome(who, "connect allowed-port", r, id);
  else
    say("%s connect allowed-port: %s", who, r == 0 ? "ok" : "FAILED");
  if (r == 0) lunatic_net_drop_tcp_stream(id);
  r = lunatic_net_tcp_connect(4, LUNATIC_PTR(kLoop4), (uint32_t)port + 1, 0, 0, 2000,
                              LUNATIC_PTR(&id));
  if (r == 1) {
    const char* t = error_text(id);
    say("%s connect other-port: %s", who,
        strstr(t, "Permission denied") ? "denied: Permission denied" : t);
  } else {
    net_outcome(who, "connect other-port", r, id);
  }
  r = lunatic_net_tcp_connect(4, LUNATIC_PTR(kLoop4b), (uint32_t)port, 0, 0, 2000,
                              LUNATIC_PTR(&id));
  if (r == 1) {
    const char* t = error_text(id);
    say("%s connect 127.0.0.2: %s", who,
        strstr(t, "Permission denied") ? "denied: Permission denied" : t);
  } else {
    net_outcome(who, "connect 127.0.0.2", r, id);
  }
  r = lunatic_net_tcp_connect(6, LUNATIC_PTR(kMapped), (uint32_t)port + 1, 0, 0, 2000,
                              LUNATIC_PTR(&id));
  if (r == 1) {
    const char* t = error_text(id);
    say("%s connect mapped other-port: %s", who,
        strstr(t, "Permission denied") ? "denied: Permission denied" : t);
  } else {
    net_outcome(who, "connect mapped other-port", r, id);
  }
  r = lunatic_net_tcp_bind(4, LUNATIC_PTR(kLoop4), 0, 0, 0, LUNATIC_PTR(&id));
  net_outcome(who, "tcp_bind", r, id);
  r = lunatic_net_udp_bind(4, LUNATIC_PTR(kLoop4), 0, 0, 0, LUNATIC_PTR(&id));
  net_outcome(who, "udp_bind", r, id);
  if (mode == 0) {
    r = lunatic_net_resolve(LUNATIC_PTR("localhost:80"), 12, 2000, LUNATIC_PTR(&id));
    net_outcome(who, "resolve", r, id);
    r = lunatic_net_tls_connect(LUNATIC_PTR("127.0.0.1"), 9, (uint32_t)port, 2000, LUNATIC_PTR(&id),
                                0, 0);
    net_outcome(who, "tls_connect", r, id);
  }
  send_value((uint64_t)parent, TAG_RESULT, mode);
}

EXPORT("net_escalate") void net_escalate(int64_t parent) {
  int64_t c = lunatic_create_config();
  if (c >= 0) {
    say("rule-grandchild: new config can_use_network=%u",
        lunatic_config_can_use_network((uint64_t)c));
    lunatic_config_set_can_use_network((uint64_t)c, 1);
  }
  send_value((uint64_t)parent, TAG_RESULT, 7);
}

EXPORT("net_rule_parent") void net_rule_parent(int64_t parent, int32_t port) {
  lunatic_die_when_link_dies(0);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i32(&p, port);
  param_i32(&p, 1);
  uint64_t id = 0;
  if (spawn_fn(0, -1, -1, "net_child", &p, &id) == 0) (void)receive_value(TAG_RESULT, 10000, -1);
  params_t q = {.len = 0};
  param_i64(&q, (int64_t)lunatic_process_id());
  if (spawn_fn(77, -1, -1, "net_escalate", &q, &id) == 0) {
    uint32_t r = receive_any(10000);
    if (r == LUNATIC_MESSAGE_LINK_DIED)
      say("rule-grandchild grant network: refused");
    else
      say("rule-grandchild grant network: ALLOWED");
  }
  send_value((uint64_t)parent, TAG_RESULT, 2);
}

static int network(void) {
  uint64_t listener = 0;
  if (lunatic_net_tcp_bind(4, LUNATIC_PTR(kLoop4), 0, 0, 0, LUNATIC_PTR(&listener)) != 0) {
    say("main cannot bind");
    return 1;
  }
  uint64_t it = 0;
  uint32_t port = 0;
  if (lunatic_net_tcp_local_addr(listener, LUNATIC_PTR(&it)) == 0) {
    uint32_t type = 0, flow = 0, scope = 0;
    uint8_t addr[16];
    uint16_t p16 = 0;
    if (lunatic_net_resolve_next(it, LUNATIC_PTR(&type), LUNATIC_PTR(addr), LUNATIC_PTR(&p16),
                                 LUNATIC_PTR(&flow), LUNATIC_PTR(&scope)) == 0) {
      port = p16;
    }
    lunatic_net_drop_dns_iterator(it);
  }
  /* Denied: no network at all. */
  uint64_t deny = (uint64_t)lunatic_create_config();
  lunatic_config_set_can_use_network(deny, 0);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i32(&p, (int32_t)port);
  param_i32(&p, 0);
  uint64_t id = 0;
  if (spawn_fn(0, (int64_t)deny, -1, "net_child", &p, &id) == 0)
    (void)receive_value(TAG_RESULT, 15000, -1);
  /* One rule: connect to 127.0.0.1:port only. */
  uint64_t rule = (uint64_t)lunatic_create_config();
  lunatic_config_set_can_spawn_processes(rule, 1);
  lunatic_config_set_can_create_configs(rule, 1);
  lunatic_config_allow_network(rule, 0, 4, LUNATIC_PTR(kLoop4), 32, port, port);
  params_t q = {.len = 0};
  param_i64(&q, (int64_t)lunatic_process_id());
  param_i32(&q, (int32_t)port);
  if (spawn_fn(0, (int64_t)rule, -1, "net_rule_parent", &q, &id) == 0)
    (void)receive_value(TAG_RESULT, 15000, -1);
  say("network done");
  return 0;
}

/* ---- preopen_swap ---- */

static int preopen_swap(void) {
  const __wasi_fd_t box = 3;
  uint64_t config = (uint64_t)lunatic_create_config();
  lunatic_config_preopen_dir(config, LUNATIC_PTR("box/sub"), 7);
  /* Now put a symlink out where box/sub was. */
  __wasi_errno_t e1 = __wasi_path_rename(box, "sub", box, "sub_old");
  __wasi_errno_t e2 = __wasi_path_rename(box, "link_out", box, "sub");
  say("swap: rename sub=%u, link_out->sub=%u", e1, e2);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i32(&p, 1);
  uint64_t id = 0;
  if (spawn_fn(0, (int64_t)config, -1, "probe", &p, &id) != 0) {
    say("swap spawn failed: %s", error_text(id));
    return 1;
  }
  (void)receive_value(TAG_RESULT, 5000, -1);
  /* And a grant made after the swap follows the symlink out? It must not. */
  int64_t c2 = lunatic_create_config();
  lunatic_die_when_link_dies(0);
  params_t q = {.len = 0};
  param_i64(&q, (int64_t)lunatic_process_id());
  param_i32(&q, 0); /* "box/sub" is index 0 of the preopen list */
  (void)c2;
  if (spawn_fn(55, -1, -1, "try_preopen", &q, &id) == 0) {
    uint32_t r = receive_any(10000);
    say("preopen 'box/sub' after the swap: %s",
        r == LUNATIC_MESSAGE_DATA ? "granted" : (r == LUNATIC_MESSAGE_LINK_DIED ? "refused" : "?"));
  }
  say("preopen_swap done");
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: b_escape <mode> [args]");
    return 2;
  }
  const char* m = argv[1];
  if (argc > 2) g_root = argv[2];
  if (!strcmp(m, "nop")) {
    say("nop");
    return 0;
  }
  if (!strcmp(m, "preopen_paths")) return preopen_paths();
  if (!strcmp(m, "wasi_paths")) return wasi_paths();
  if (!strcmp(m, "grants")) return grants();
  if (!strcmp(m, "env")) return env_mode(argc, argv);
  if (!strcmp(m, "network")) return network();
  if (!strcmp(m, "preopen_swap")) return preopen_swap();
  say("unknown mode %s", m);
  return 2;
}
