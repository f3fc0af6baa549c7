"""The cases of the hostile-guest battery (run by run_battery.py).

Each case: a guest (tests/battery/guests/<guest>.c), its arguments, the runtime's flags, and what
must hold. `{root}`, `{box}` and `{canary}` in args and flags are the case's host directory, the
box inside it, and the canary file outside the box (see run_battery.py).

Bounds come from the documentation where it states one:
  - a kill "reaches a process waiting in any host call at once" and lands "within one time
    slice even in a loop without calls" (security-model.md, abi.md): kill_ms <= 50 ("tens of
    ms"); 100 for the attackers of the starve cases, which are killed one after another while
    dozens of them compete for two workers, and 120 for a receiver whose kill frees a flooded
    mailbox of 140 MiB;
  - a sleeper "is served within a slice even when every worker computes" (architecture.md): the
    bystander's lateness must stay <= 100 ms (generous, for a loaded 2-core machine);
  - the runtime "exits when main returns, killing the compilers still running": within 1 s of
    the line "main returns", and no compiler outlives it;
  - messages the runtime logs are "cut to 2 KiB, with its full size stated": no stderr line over
    2,200 bytes (the 2 KiB message plus "lunatic: process N failed: ");
  - memory: with --max-memory M the runtime's peak RSS must stay under M + 200 MiB (the
    runtime's own baseline is 10-35 MiB; 200 MiB is slack for allocator and compiler work);
  - documented error codes and texts (EINVAL 28 for poll_oneoff beyond 4,096 subscriptions,
    EMFILE 33 past 4,096 descriptors, ENOTCAPABLE 76 for sandbox escapes, ENAMETOOLONG 37,
    send 2 / distributed send 3 at a full mailbox, "Permission denied" for network refusals,
    spawn refused with an error naming the limit, traps for grants beyond one's own).
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

KILL_MS = 50
ATTACKER_KILL_MS = 100
# A receiver flooded with ~300,000 messages (140 MiB) is measured until it is gone, which
# includes freeing them: 38-55 ms seen on a 2-core machine under ctest -j2, so twice that.
FLOODED_KILL_MS = 120
BYSTANDER_MS = 100
EXIT_AFTER_MAIN_MS = 1000
LINE_MAX = 2200
SLACK_MB = 200
BOX = ["--dir", "{box}:box"]


@dataclass
class Case:
    name: str
    category: str
    guest: str
    args: List[str]
    flags: List[str] = field(default_factory=list)
    exit: Optional[Union[int, Tuple[int, ...]]] = 0   # None: any exit code (but no signal)
    timeout: float = 15.0
    rss_mb: int = 150
    stdout_re: List[str] = field(default_factory=list)
    stdout_not: List[str] = field(default_factory=list)
    stderr_re: List[str] = field(default_factory=list)
    stderr_not: List[str] = field(default_factory=list)
    stderr_counts: Dict[str, Tuple[int, int]] = field(default_factory=dict)
    stderr_max: int = 64 * 1024
    stderr_line_max: Optional[int] = LINE_MAX
    metrics: Dict[str, Union[int, Tuple[int, int]]] = field(default_factory=dict)
    bystander: Optional[int] = None        # bound on `bystander max_late_ms`
    exit_after: Optional[Tuple[str, int]] = None
    doc: str = ""


CASES: List[Case] = []


def case(**kw):
    CASES.append(Case(**kw))


def mem(mb):
    return ["--max-memory", f"{mb}M"]


# ======================= escape =======================

ALLOWED_PREOPENS = ["box/sub", "box", "box/sub/.."]
case(name="escape_preopen_paths", category="escape", guest="b_escape",
     args=["preopen_paths", "{root}"], flags=BOX,
     stdout_re=[r"^preopen 'box/sub': granted$", r"^preopen 'box': granted$",
                r"^probe 0: 'box/sub' read inside2.txt: in2$", r"^preopen_paths done$",
                r"^preopen '/': refused$", r"^preopen 'box/\.\.': refused$",
                r"^preopen 'box/link_out': refused$", r"^preopen 'box/abs_link': refused$"],
     stdout_not=[r"^preopen '(?!box/sub'|box'|box/sub/\.\.')[^']*': granted$",
                 r"unexpected receive", r"read (\.\./)*canary", r"secret2"],
     doc="security-model.md: config_preopen_dir takes only a directory inside the caller's "
         "preopens; .., absolute paths and symlinks that lead out are refused (a trap)")

case(name="escape_wasi_paths", category="escape", guest="b_escape",
     args=["wasi_paths", "{root}"], flags=BOX,
     stdout_re=[r"^inside read inside.txt: ok$", r"^inside create sub/new.txt: ok$",
                r"^inside read sub/in_link: ok$", r"^wasi read \.\./canary\.txt: denied errno=76$",
                r"^wasi read /\S+/canary\.txt: denied errno=76$",
                r"^wasi read link_file: denied errno=76$",
                r"^wasi read a 4999-byte path: denied errno=37$", r"^wasi_paths done$"],
     stdout_not=[r"ALLOWED", r"^inside .*errno"],
     doc="wasi.md: openat2 RESOLVE_BENEATH; .., absolute paths and symlinks out are ENOTCAPABLE "
         "(76); paths over 4,095 bytes ENAMETOOLONG; path_symlink refuses targets leading out")

GRANTS_REFUSED = ["set_can_compile_modules 1", "set_max_memory 128 MiB",
                  r"set_max_fuel 0 \(unlimited\)", "set_max_fuel 200000", "set_can_use_network 1",
                  r"allow_network 0\.0\.0\.0/0", "preopen_dir box", r"preopen_dir \.", "preopen_dir /"]
GRANTS_ALLOWED = ["set_can_spawn_processes 1", "set_can_create_configs 1", "set_max_memory 32 MiB",
                  "set_max_fuel 1000", "set_max_processes 1000000", "set_max_mailbox_messages 1",
                  "add_environment_variable"]
case(name="escape_grants", category="escape", guest="b_escape", args=["grants"],
     stdout_re=[f"^grant {g}: refused$" for g in GRANTS_REFUSED] +
               [f"^grant {g}: allowed$" for g in GRANTS_ALLOWED] +
               [r"^new config: max_memory=67108864 max_fuel=100000 can_use_network=0 can_compile=0$",
                r"^spawn without permission: refused$", r"^compile without permission returned -1$",
                r"^grow past own max_memory: refused$", r"^grants done: yes$"],
     stdout_not=[r"ALLOWED", r"unexpected receive"],
     stderr_not=[r"process \d+ failed: (?!trap: host call failed: lunatic::(process|wasi)::)"],
     doc="security-model.md table 'What a process can give a child': grants beyond one's own "
         "trap the creator; limits and env/args are allowed; a new config starts with the "
         "creator's memory limit, fuel limit and network rules; abi.md: spawn without "
         "can_spawn_processes traps, compile_module without permission returns -1")

case(name="escape_env", category="escape", guest="b_escape", args=["env"],
     flags=BOX + ["--env", "FOO=bar"],
     stdout_re=[r"^main env count=1$", r"^main env FOO=bar$",
                r"^child env count=1\nchild env FOO=bar\nchild arg \S+b_escape\.wasm\nchild arg env\n",
                r"^child env count=1\nchild env CHILD_ONLY=yes\nchild arg child0\nenv done$"],
     stdout_not=[r"LUNATIC_BATTERY_SECRET", r"^main env PATH="],
     doc="abi.md: the main process's environment is only what --env sets; a spawned process "
         "gets exactly the args, env and directories of its config")

case(name="escape_network", category="escape", guest="b_escape", args=["network"],
     stdout_re=[r"^denied-child connect allowed-port: denied: Permission denied",
                r"^denied-child tcp_bind: denied: Permission denied",
                r"^denied-child udp_bind: denied: Permission denied",
                r"^denied-child resolve: denied: Permission denied",
                r"^denied-child tls_connect: denied: Permission denied",
                r"^rule-child connect allowed-port: ok$",
                r"^rule-child connect other-port: denied: Permission denied$",
                r"^rule-child connect 127\.0\.0\.2: denied: Permission denied$",
                r"^rule-child connect mapped other-port: denied: Permission denied$",
                r"^rule-child tcp_bind: denied: Permission denied",
                r"^rule-grandchild: new config can_use_network=0$",
                r"^rule-grandchild grant network: refused$", r"^network done$"],
     stdout_not=[r"ALLOWED"],
     doc="abi.md 'Network permissions': a refused connect/bind/lookup is 1 with 'Permission "
         "denied'; a restricted process makes restricted configs and cannot grant access (trap)")

case(name="escape_preopen_swap", category="escape", guest="b_escape",
     args=["preopen_swap", "{root}"], flags=BOX,
     stdout_re=[r"^swap: rename sub=0, link_out->sub=0$",
                r"^probe 1: preopen fd 3 'box/sub' lists: .*inside2\.txt",
                r"^preopen 'box/sub' after the swap: refused$", r"^preopen_swap done$"],
     doc="security-model.md: a preopen is held as an open directory from the moment it is "
         "granted, so renaming or replacing its path afterwards changes nothing")

# ======================= starve =======================

def starve(mode, doc, flags=(), rss_mb=150, extra_re=(), timeout=15.0, **kw):
    case(name=f"starve_{mode}", category="starve", guest="b_starve", args=[mode],
         flags=list(flags), rss_mb=rss_mb, timeout=timeout, bystander=BYSTANDER_MS,
         stdout_re=[rf"^{mode} done$", r"attackers max_kill_ms=\d+ killed=(\d+)/\1$"] + list(extra_re),
         metrics={"attackers max_kill_ms": ATTACKER_KILL_MS} if mode not in ("timers",) else {},
         doc=doc, **kw)


starve("spin", "architecture.md: preemption checks at loop headers; a sleeper is served within a "
       "slice even when every worker computes", extra_re=[r"^spinners running=50$"])
starve("compile_loop", "abi.md: compile_module runs on compile threads at low priority while "
       "the caller waits; other processes keep running")
starve("big_messages", "security-model.md: host calls that copy 64 KiB or more count against the "
       "time slice and big copies go in pieces", flags=mem(1024), rss_mb=1024 + SLACK_MB)
starve("memfill", "architecture.md/security-model.md: long computations are preempted; bulk "
       "memory instructions go in pieces (rt-abi/4)", flags=mem(1024), rss_mb=1024 + SLACK_MB)
starve("memcopy", "as memfill, for memory.copy", flags=mem(1024), rss_mb=1024 + SLACK_MB)
starve("table_fill", "security-model.md: long computations are preempted, big copies go in "
       "pieces; tables count as guest memory", flags=mem(512), rss_mb=512 + SLACK_MB)
starve("poll_many", "wasi.md: poll_oneoff takes at most 4,096 subscriptions (EINVAL beyond, and "
       "for none); nothing a guest does through WASI blocks a worker",
       extra_re=[r"^poll 4097 subscriptions errno=28$", r"^poll 0 subscriptions errno=28$"])
starve("sleep0", "abi.md: sleep_ms suspends only the caller; sched_yield yields")
starve("timers", "abi.md: a pending timer costs one heap entry; set-and-cancel keeps memory flat",
       extra_re=[r"^timers fired=200000 cancelled=200000 "])
starve("dns", "abi.md: lookups run on resolver threads, never on a worker; at most 1,024 wait "
       "at once, past that a lookup fails with an error",
       extra_re=[r"^dns burst ok=\d+ error=\d+ other=0 "])
starve("random", "wasi.md: random_get fills 1 MiB at a time with a preemption point after each",
       flags=mem(1024), rss_mb=1024 + SLACK_MB)
starve("fd_io", "wasi.md: one fd_read/fd_write moves at most 16 MiB and counts against the time "
       "slice", flags=BOX)

# ======================= exhaust =======================

case(name="exhaust_fork_bomb", category="exhaust", guest="b_exhaust", args=["fork_bomb"],
     flags=["--max-processes", "300"], bystander=BYSTANDER_MS,
     stdout_re=[r"^bomb refused: .*limit of 300 live processes",
                r"^supervisor restarted its worker: yes$", r"^main spawns after the bomb: yes$",
                r"^main hears a linked child's trap: yes$"],
     stderr_not=[r"lunatic::process::spawn",
                 r"process \d+ failed: (?!trap: unreachable executed in function `trap_now`)"],
     doc="security-model.md: hitting a limit refuses the spawn with an error naming it, nothing is "
         "killed for it; a reserve is kept for supervisors and the main process")

case(name="exhaust_fork_bomb_supervisors", category="exhaust", guest="b_exhaust",
     args=["fork_bomb_supervisors"], flags=["--max-processes", "300"], bystander=BYSTANDER_MS,
     stdout_re=[r"^bomb refused: .*limit of 300 live processes",
                r"^main spawns after the bomb: yes$", r"^main hears a linked child's trap: yes$"],
     stderr_not=[r"lunatic::process::spawn",
                 r"process \d+ failed: (?!trap: unreachable executed in function `trap_now`)"],
     doc="security-model.md: any process can declare itself a supervisor and take the "
         "supervisors' half of the reserve; the main process's share cannot be taken")

case(name="exhaust_subtree_limits", category="exhaust", guest="b_exhaust", args=["subtree"],
     bystander=BYSTANDER_MS, timeout=30,
     metrics={"subtree processes spawned by the head": (1, 4),
              "subtree nested looser config spawned": (0, 3),
              "subtree memory MiB": (1, 8), "subtree compiles": (2, 2)},
     stdout_re=[r"^subtree spawn refused: .*", r"^subtree compile refused: refused \(1\)",
                r"^main spawns beside the limited subtree: yes$"],
     doc="abi.md 'Limits': a config's max_processes, max_total_memory and max_compiles bound the "
         "subtree its child heads, nested inside every limit above; past them spawn returns 1, "
         "grow -1, compile_module 1")

case(name="exhaust_fuel", category="exhaust", guest="b_exhaust", args=["fuel"],
     bystander=BYSTANDER_MS, timeout=30,
     stdout_re=[r"^fuel spinner: failed after ms=\d+$"], stderr_re=[r"out of fuel"],
     doc="abi.md: a process past its fuel traps with 'out of fuel'")

case(name="exhaust_memory_bomb", category="exhaust", guest="b_exhaust", args=["memory_bomb"],
     flags=mem(256), rss_mb=256 + SLACK_MB, bystander=BYSTANDER_MS,
     metrics={"hogs hold MiB": (1, 256)},
     stdout_re=[r"^main grows 1 MiB after the bomb: yes$"],
     doc="security-model.md: --max-memory bounds all processes together; a grow past it is -1; "
         "the main process keeps a reserve")

case(name="exhaust_grow_loop", category="exhaust", guest="b_exhaust", args=["grow_loop"],
     flags=mem(128), rss_mb=128 + SLACK_MB, bystander=BYSTANDER_MS,
     metrics={"grow refused at MiB": (1, 128), "config child grow refused at MiB": (1, 8)},
     stdout_re=[r"then \+65536 pages: -1, \+0xFFFFFFFF pages: -1"],
     stdout_not=[r"then \+65536 pages: (?!-1)"],
     doc="abi.md: memory.grow past the runtime's or a config's max_memory returns -1")

case(name="exhaust_huge_table", category="exhaust", guest="b_exhaust", args=["huge_table"],
     flags=mem(64), rss_mb=64 + SLACK_MB, timeout=60,
     stdout_re=[r"^table initial 2\^24\+1: compile refused \(1\)",
                r"^table initial 2\^24 under the memory limit: spawn refused: .*memory",
                r"^table grow by 2\^24\+1: grow result as documented$",
                r"^table grow by 2\^24 past the memory limit: grow result as documented$",
                r"^table grow past its max: grow result as documented$",
                r"^table grow by 1000 \(must work\): grow result as documented$",
                r"^table grow by 0xFFFFFFFF: grow result as documented$", r"^huge_table done$"],
     stdout_not=[r"UNEXPECTED", r"still running"],
     doc="security-model.md: tables are capped at 2^24 entries and count as guest memory; "
         "table.grow past a limit returns -1; a spawn past the memory limit is refused")

case(name="exhaust_resources", category="exhaust", guest="b_exhaust", args=["resources"],
     flags=BOX, rss_mb=400, bystander=BYSTANDER_MS, timeout=30,
     stdout_re=[r"^configs flood: failed", r"^dns iterators flood: failed",
                r"^fds opened=\d+ then errno=33$"],
     stderr_re=[r"too many live config resources", r"too many live dns iterator resources"],
     doc="abi.md: at most 2^20 live resources of each kind per process (a trap beyond); wasi.md: "
         "at most 4,096 descriptors per process (EMFILE)")

case(name="exhaust_config_objects", category="exhaust", guest="b_exhaust", args=["config_objects"],
     flags=mem(128), rss_mb=128 + SLACK_MB, bystander=BYSTANDER_MS, timeout=30,
     stdout_re=[r"^configs held by 4 processes=\d+$"],
     doc="security-model.md: --max-memory bounds what guests hold ('Host memory a guest holds "
         "counts against its budget'); abi.md counts a config's strings but caps config objects "
         "only by count (2^20 per process), so N processes may hold N x 2^20 configs")

case(name="exhaust_recursion", category="exhaust", guest="b_exhaust", args=["recursion"],
     bystander=BYSTANDER_MS, timeout=30,
     stdout_re=[r"^recursion died=20 failed=20 of 20$"],
     stderr_re=[r"call stack exhausted"],
     stderr_counts={r"failed: trap": (20, 20)},
     doc="security-model.md: a trap of any kind, stack exhaustion included, ends that guest's call "
         "and nothing else")

# 1 GiB: the valid module killed while it compiles (2.7 MiB) counts 160 times its size while it
# compiles (abi.md), on top of the 65 MiB buffer main made before.
case(name="exhaust_compile_huge", category="exhaust", guest="b_exhaust", args=["compile_huge"],
     flags=mem(1024), rss_mb=1024 + SLACK_MB, bystander=BYSTANDER_MS, timeout=40,
     stdout_re=[r"^compile 65 MiB: refused \(1\)", r"^compile blocks nested 5000 deep: refused \(1\)",
                r"^compile 50001 locals: refused \(1\)", r"^compile 2\^32-1 locals: refused \(1\)",
                r"^compile 2\^32-1 functions declared: refused \(1\)",
                r"^compile memory of 65537 pages: refused \(1\)"],
     stdout_not=[r"compile_victim: compile returned"],
     metrics={"compiling kill_ms": KILL_MS},
     doc="abi.md: compile_module takes modules of at most 64 MiB; blocks nest at most 4,096 deep; "
         "at most 50,000 params and locals; a kill cancels a compile at once")

case(name="exhaust_compile_memory", category="exhaust", guest="b_exhaust", args=["compile_memory"],
     flags=mem(256), rss_mb=256 + SLACK_MB, bystander=BYSTANDER_MS, timeout=40,
     stdout_re=[r"^module bytes=\d+$",
                r"^compile of 14 MiB: refused \(1\): cannot compile: translating a module of "
                r"[\d.]+ MiB takes up to [\d.]+ GiB of memory: .*limit of 256 MiB"],
     doc="security-model.md: --max-memory bounds what guests can make resident; abi.md: while it "
         "compiles, a module counts 160 times its size against the caller's limit (the "
         "runtime's memory for translating it), and compile_module returns 1 when it cannot")

case(name="exhaust_registry", category="exhaust", guest="b_exhaust", args=["registry"],
     flags=mem(64), rss_mb=64 + SLACK_MB, bystander=BYSTANDER_MS,
     stdout_re=[r"^registry name of 128 KiB \+ 1: failed", r"^registry flood: failed",
                r"^main registry put/get after the flood: ok$"],
     stderr_re=[r"registry::put: .*limit of 64 MiB"],
     doc="abi.md: a registry entry counts as guest memory of its registrant (put traps past the "
         "limit); a name is at most 128 KiB")

case(name="exhaust_config_strings", category="exhaust", guest="b_exhaust", args=["config_strings"],
     flags=mem(64), rss_mb=64 + SLACK_MB, bystander=BYSTANDER_MS,
     stdout_re=[r"^env flood: failed", r"^arg flood: failed"],
     stderr_re=[r"config_add_environment_variable: .*limit of 64 MiB",
                r"config_add_command_line_argument: .*limit of 64 MiB"],
     doc="abi.md: a config's strings count as guest memory of the process holding it; these trap "
         "past the limit")

case(name="exhaust_huge_message", category="exhaust", guest="b_exhaust", args=["huge_message"],
     flags=mem(128), rss_mb=128 + SLACK_MB, bystander=BYSTANDER_MS,
     stdout_re=[r"^write past the limit: failed"],
     stdout_not=[r"still alive"],
     stderr_re=[r"write_data: .*limit of 128 MiB"],
     doc="abi.md: a message's buffer counts as guest memory of its writer; write_data traps past "
         "the limit")

case(name="exhaust_many_processes", category="exhaust", guest="b_exhaust", args=["many_processes"],
     flags=mem(256), rss_mb=256 + SLACK_MB, bystander=BYSTANDER_MS,
     stdout_re=[r"^spawned=\d+ then refused: .*limit of 256 MiB"],
     doc="security-model.md: each process's 256 KiB stack is charged at spawn; a spawn past the "
         "limit is refused with an error naming it")

# ======================= flood =======================

case(name="flood_mailbox_unbounded", category="flood", guest="b_flood", args=["mailbox_unbounded"],
     flags=mem(128), rss_mb=128 + SLACK_MB, bystander=BYSTANDER_MS, timeout=40,
     stdout_re=[r"^flood sender stopped after sent>=\d+ ms=\d+ \(it died\)$",
                r"^spawn after the flood: ok$"],
     metrics={"flooded receiver kill_ms": FLOODED_KILL_MS},
     doc="abi.md: a message's buffer counts against its writer's budget wherever it is, so a "
         "guest cannot make the runtime hold unbounded memory in messages")

case(name="flood_mailbox_limited", category="flood", guest="b_flood", args=["mailbox_limited"],
     bystander=BYSTANDER_MS,
     stdout_re=[r"^limit messages=1000 bytes=0: delivered=1000 refused=199000 other=0 "
                r"distributed_send=3 send_receive_skip_search=2$",
                r"^the receiver found data=1000 link_died=1$",
                r"^limit messages=0 bytes=65536: delivered=65 refused=1935 other=0 ",
                r"^the receiver found data=67 link_died=1$"],
     doc="abi.md: send returns 2 past a config's mailbox limit (distributed send 3, "
         "send_receive_skip_search 2); signals are never refused")

case(name="flood_send_self", category="flood", guest="b_flood", args=["send_self"],
     flags=mem(64), rss_mb=64 + SLACK_MB, bystander=BYSTANDER_MS, timeout=40,
     metrics={"tagged_scan_ms": 100},
     stdout_re=[r"^self flooder: refused \(died\)"],
     doc="abi.md: messages to oneself count against one's budget; architecture.md: a tagged "
         "receive over a flood of untagged messages returns at once")

case(name="flood_timer_messages", category="flood", guest="b_flood", args=["timer_flood"],
     flags=mem(64), rss_mb=64 + SLACK_MB, bystander=BYSTANDER_MS, timeout=40,
     stdout_re=[r"^timer flooder: refused \(died\) with pending>=\d+ "],
     stderr_re=[r"limit of 64 MiB"],
     doc="abi.md: a message in a pending send_after counts against its writer's budget")

case(name="flood_stderr", category="flood", guest="b_flood", args=["stderr_flood"],
     stderr_max=80 << 20, stderr_line_max=None, timeout=30,
     stdout_re=[r"^stderr_flood wrote err=67108864 out=67108864$"],
     doc="wasi.md: writes suspend the process, never the thread; the runtime keeps no copy")

case(name="flood_trap_reasons", category="flood", guest="b_flood", args=["trap_reasons"],
     flags=BOX, rss_mb=200, timeout=40,
     stdout_re=[r"^long preopen path: failed$", r"^long function name: failed$",
                r"^1 MiB function name trap: failed$",
                r"^missing 1 MiB import: error_size=\d+ ends with: .*\(\d+ bytes in all\)$",
                r"^trap_reasons done$"],
     stderr_re=[r"bytes in all\)"],
     metrics={"error_size": (1, 2100)},
     doc="security-model.md: every message the runtime logs or hands a guest as an error is cut "
         "to 2 KiB, with its full size stated")

PARAM_CASES = {"1001 records": "the spawner trapped", "1000000 records": "the spawner trapped",
               "length 18": "the spawner trapped", "v128 record": "the spawner trapped",
               "type 0x42": "the spawner trapped", "name not UTF-8": "the spawner trapped",
               "records out of bounds": "the spawner trapped",
               "1000 records to a function without params": "the spawner returned"}
case(name="flood_spawn_params", category="flood", guest="b_flood", args=["spawn_params"],
     stdout_re=[rf"^params {k}: {v}$" for k, v in PARAM_CASES.items()] +
               [r"^params case 6: spawn returned 0$", r"^params case 6: the child failed$",
                r"^spawn after the cases: ok$"],
     doc="abi.md spawn: traps for more than 1000 records, a length not a multiple of 17, a type "
         "other than i32/i64, a name not UTF-8, a pointer out of bounds; a function whose "
         "parameters differ is the child's failure")

case(name="flood_link_storm", category="flood", guest="b_flood", args=["link_storm"],
     bystander=BYSTANDER_MS, stderr_max=256 << 10, timeout=30,
     stdout_re=[r"^link storm link_died=2000/2000 ", r"^200,000 link/unlink/monitor/stop ms=\d+$",
                r"^100,000 monitors of one process, then its death: process_died messages=\d+$"],
     doc="abi.md: links hear failures, monitors every death; signals are never refused")

case(name="flood_cap_hint", category="flood", guest="b_flood", args=["cap_hint"],
     stderr_counts={r"^.*--dir.*$": (1, 1)},
     doc="wasi.md: a process that finds no preopen and writes 'Capabilities insufficient' makes "
         "the runtime say once, on stderr, that --dir grants a directory")

# ======================= kill / exit =======================

KILL_DOCS = ("security-model.md: a kill reaches a process waiting in any host call (receive, "
             "sleep, I/O, DNS, a compile) at once; abi.md: within one time slice even in a loop "
             "without calls; it cannot be caught, not even by lunatic::trap::catch")
for what, kw in [("sleep", {}), ("receive", {}), ("poll", {}), ("fd_read", {}),
                 ("tcp_accept", {}), ("tcp_read", {}), ("dns", {}), ("skip_search", {}),
                 ("catch_loop", {}), ("spin", {}), ("compile", {"timeout": 20, "rss_mb": 300}),
                 ("memfill", {"flags": mem(1024), "rss_mb": 1024 + SLACK_MB}),
                 ("big_write", {"flags": mem(1024), "rss_mb": 1024 + SLACK_MB}),
                 ("random", {"flags": mem(1024), "rss_mb": 1024 + SLACK_MB})]:
    case(name=f"kill_{what}", category="kill", guest="b_kill", args=["kill", what],
         bystander=BYSTANDER_MS, metrics={f"{what} kill_ms": KILL_MS},
         stdout_re=[rf"^{what}: victim alive before the kill: yes$"],
         stdout_not=[r"fell through", r"kill was caught", r"returned"],
         doc=KILL_DOCS, **kw)

case(name="exit_while_compiling", category="kill", guest="b_kill", args=["exit_compiling"],
     rss_mb=300, timeout=20, exit_after=(r"^main returns$", EXIT_AFTER_MAIN_MS),
     doc="security-model.md: the runtime exits when main returns, killing the compilers still "
         "running")

case(name="exit_while_busy", category="kill", guest="b_kill", args=["exit_busy"],
     flags=mem(2048), rss_mb=2048 + SLACK_MB, timeout=30,
     exit_after=(r"^main returns$", EXIT_AFTER_MAIN_MS),
     stdout_re=[r"^busy processes ready=(\d+)/\1$"],
     doc="abi.md/security-model.md: the runtime ends when the main process ends, whatever the "
         "others do")

case(name="kill_main", category="kill", guest="b_kill", args=["kill_main"], exit=134, timeout=10,
     stdout_re=[r"^killing main$"], stdout_not=[r"main woke up"],
     doc="abi.md: a kill is a failure; the runtime ends with the main process, 134 after a "
         "failure")
