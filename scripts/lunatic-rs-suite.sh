#!/usr/bin/env bash
# Runs the test suite of Lunatic's Rust guest crate (lunatic-rs 0.14: the `lunatic` and
# `lunatic-test` crates) with `cargo test`, Cargo's runner being this runtime's `lunatic`, as
# lunatic-rs's own CI runs it on Lunatic. Only Debian 12 packages are used: rustc and cargo 1.63,
# the wasm32-wasi standard library, and the crates Debian ships in /usr/share/cargo/registry.
#
#   scripts/lunatic-rs-suite.sh [--lunatic PATH] [--work DIR] [--timeout S] [--lunatic-src REPO]
#                               [--imports-only | --examples-only | --cluster-only | --test NAME]
#                               LUNATIC_RS_CHECKOUT
#
# The checkout is copied into the work folder (default: a new temporary one) and built there;
# nothing of it is changed in place, and none of it belongs in this repository. See
# docs/lunatic-rs-suite.md for what the local adjustments are and why.
#
# First, before anything is built, every host function lunatic-rs declares (src/host/api.rs) is
# checked against the runtime's registry, names and signatures (scripts/lunatic-rs-imports.py);
# --imports-only does only that. After the test targets, each of lunatic-rs's examples runs
# under the runtime with its own check (scripts/lunatic-rs-examples.py; --examples-only builds
# and runs only these), then examples/distributed.rs runs across two nodes (a `lunatic control`
# and two `lunatic node`s on 127.0.0.1), and so does a small program this script writes, for the
# parts of lunatic-rs's distributed API the example does not use. --cluster-only builds and runs
# only these two. --test NAME builds and runs only lunatic-rs's test target tests/NAME.rs.
#
# lunatic-rs's `sqlite` feature needs the guest half of Lunatic's lunatic-sqlite-api crate, which
# Debian does not package: with --lunatic-src (a git repository of lunatic-solutions/lunatic) it
# is taken from there at v0.13.2 as a path dependency and tests/sqlite.rs runs; without, the
# feature and that test are left out.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lunatic="$here/../build/lunatic"
work=""
timeout_s=900
only=""  # imports, examples, cluster or test: that part alone
only_test=""  # with only=test: the test target's name
lunatic_src=""
usage="usage: $0 [--lunatic PATH] [--work DIR] [--timeout S] [--lunatic-src REPO] [--imports-only | --examples-only | --cluster-only | --test NAME] LUNATIC_RS_CHECKOUT"
while [[ $# -gt 1 ]]; do
  case "$1" in
    --lunatic) lunatic=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --imports-only) only=imports; shift ;;
    --examples-only) only=examples; shift ;;
    --cluster-only) only=cluster; shift ;;
    --test) only=test; only_test=$2; shift 2 ;;
    --lunatic-src) lunatic_src=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[[ $# -eq 1 && -f "$1/Cargo.toml" && -d "$1/lunatic-test" ]] || {
  echo "$usage" >&2
  echo "  (LUNATIC_RS_CHECKOUT: a work tree of lunatic-solutions/lunatic-rs 0.14)" >&2
  exit 2
}
checkout=$(cd "$1" && pwd)
lunatic=$(cd "$(dirname "$lunatic")" && pwd)/$(basename "$lunatic")
[[ -x "$lunatic" ]] || { echo "no lunatic binary at $lunatic (run make build)" >&2; exit 2; }
[[ -n "$work" ]] || work=$(mktemp -d /tmp/lunatic-rs-suite.XXXXXX)
mkdir -p "$work/logs"
logs=$work/logs

passed=0 failed=0 ignored=0 broken=0

# Every function of lunatic-rs's src/host/api.rs, imported by one module that `lunatic compile`
# must accept: a missing or mismatched import is refused with its line. Needs no build.
if [[ -z "$only" || $only == imports ]]; then
  if python3 "$here/lunatic-rs-imports.py" --lunatic "$lunatic" --work "$work/imports" \
    "$checkout/src/host/api.rs" >"$logs/imports.log" 2>&1; then
    passed=$((passed + 1))
    printf '%-6s %s\n' ok "$(tail -n 1 "$logs/imports.log")"
  else
    failed=$((failed + 1))
    sed 's/^/       /' "$logs/imports.log"
    printf '%-6s %s\n' FAILED "import check (see $logs/imports.log)"
  fi
  if [[ $only == imports ]]; then
    echo "$passed passed, $failed failed, $ignored skipped"
    [[ $failed -eq 0 ]]
    exit
  fi
fi

LUNATIC_RUST_DEPS=1 bash "$here/install-deps.sh"
[[ -d /usr/lib/rustlib/wasm32-wasi/lib ]] || { echo "Debian's wasm32-wasi Rust std is missing" >&2; exit 1; }

# A fresh copy to build in.
src=$work/lunatic-rs
rm -rf "$src"
mkdir -p "$src"
tar -C "$checkout" --exclude=./target --exclude=./.git -cf - . | tar -C "$src" -xf -
cd "$src"

# Local adjustments for Debian 12's crates, each checked to have applied.
must_change() {  # FILE SED-EXPRESSION: the file must differ afterwards
  local before
  before=$(sha256sum "$1")
  sed -i "$2" "$1"
  [[ $(sha256sum "$1") != "$before" ]] || { echo "adjustment '$2' did not apply to $1" >&2; exit 1; }
}
# criterion 0.4 (benches only; Debian has 0.3) and protobuf 3 (Debian has 2) go, with the
# features and benches that need them; so do lunatic-sqlite-api (not packaged), the `sqlite`
# feature and tests/sqlite.rs, unless --lunatic-src gives the crate.
sqlite_crate=""
if [[ -n "$lunatic_src" ]]; then
  sqlite_crate=$work/lunatic-v0.13.2/crates/lunatic-sqlite-api
  rm -rf "$work/lunatic-v0.13.2"
  mkdir -p "$work/lunatic-v0.13.2"
  git -C "$lunatic_src" archive v0.13.2 crates/lunatic-sqlite-api | tar -x -C "$work/lunatic-v0.13.2"
  # Only its guest half is built (wasm32): its host dependencies (wasmtime, Lunatic's other
  # crates, sqlite bindings) are never compiled, but Cargo would still resolve them.
  SQLITE_CRATE=$sqlite_crate python3 - <<'PY'
import os, re
path = os.environ["SQLITE_CRATE"] + "/Cargo.toml"
text = open(path).read()
original = text
text = re.sub(r"\[target\.'cfg\(not\(target_arch = \"wasm32\"\)\)'\.dependencies\]\n(.*\n)*", "", text)
text = text.replace("bincode = { workspace = true }", 'bincode = "1.3"')
if text == original or "workspace" in text:
    raise SystemExit("lunatic-sqlite-api/Cargo.toml: unexpected shape; is this Lunatic v0.13.2?")
open(path, "w").write(text)
PY
fi
SQLITE_CRATE=$sqlite_crate python3 - <<'PY'
import os, re
sqlite_crate = os.environ["SQLITE_CRATE"]
text = open("Cargo.toml").read()
original = text
dropped = "criterion|protobuf" if sqlite_crate else "criterion|protobuf|lunatic-sqlite-api"
text = re.sub(r'^(%s) = .*\n' % dropped, '', text, flags=re.M)
features = "protobuf_serializer" if sqlite_crate else "protobuf_serializer|sqlite"
text = re.sub(r'^(%s) = .*\n' % features, '', text, flags=re.M)
text = re.sub(r'\[\[bench\]\]\nname = "\w+"\nharness = false\n+', '', text)
if sqlite_crate:
    text, n = re.subn(r'^lunatic-sqlite-api = \{ version = "0.13", optional = true \}$',
                      'lunatic-sqlite-api = { path = "%s", optional = true }' % sqlite_crate, text,
                      flags=re.M)
    if n != 1:
        raise SystemExit("Cargo.toml: no lunatic-sqlite-api dependency to point at " + sqlite_crate)
else:
    text = re.sub(r'\[\[test\]\]\nname = "sqlite"\n(.*\n)*?required-features = .*\n+', '', text)
if text == original:
    raise SystemExit("Cargo.toml: nothing to adjust; is this lunatic-rs 0.14?")
open("Cargo.toml", "w").write(text)
PY
[[ -n "$sqlite_crate" ]] || rm -f tests/sqlite.rs
# convert_case (not packaged) gives way to heck at its one call site in lunatic-macros.
must_change lunatic-macros/Cargo.toml 's/^convert_case = .*/heck = "0.4"/'
must_change lunatic-macros/src/abstract_process.rs 's/^use convert_case::{Case, Casing};/use heck::ToUpperCamelCase;/'
must_change lunatic-macros/src/abstract_process.rs 's/\.to_case(Case::Pascal)/.to_upper_camel_case()/'
# tests/serializers.rs moves a TcpStream connected to google.com:80 into a process; this
# machine has no network, so it connects to a local HTTP server instead.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
must_change tests/serializers.rs "s/\"google.com:80\"/\"127.0.0.1:$port\"/g"

mkdir -p .cargo
cat > .cargo/config.toml <<EOF
[build]
target = "wasm32-wasi"

[target.wasm32-wasi]
runner = "$lunatic"

[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
EOF

# The distributed API that examples/distributed.rs does not use, checked on two nodes (below).
# Written here, not taken from lunatic-rs; Cargo builds it as one more example.
cat > examples/distributed_api.rs <<'EOF'
// Written by scripts/lunatic-rs-suite.sh of Lunatic in C++, not part of lunatic-rs. It runs on
// one node of a two-node cluster whose other node has the tag role=worker, and checks what
// examples/distributed.rs does not use: lookup_nodes, Process::spawn_node (no config),
// AbstractProcess::on_node without a config, and a kill, a monitor and a link of a process on the
// other node (lunatic-rs passes these the bare process id).
use std::time::Duration;

use lunatic::ap::handlers::Request;
use lunatic::ap::{AbstractProcess, Config, RequestHandler, State};
use lunatic::distributed::{lookup_nodes, node_id, nodes};
use lunatic::{sleep, Mailbox, MessageSignal, Process, ProcessDiedSignal, Signal};

struct Where;
impl AbstractProcess for Where {
    type Arg = ();
    type State = Self;
    type Handlers = (Request<()>,);
    type Serializer = lunatic::serializer::Bincode;
    type StartupError = ();

    fn init(_: Config<Self>, _: ()) -> Result<Where, ()> {
        Ok(Where)
    }
}
impl RequestHandler<()> for Where {
    type Response = u64;

    fn handle(_: State<Self>, _: ()) -> u64 {
        node_id()
    }
}

#[lunatic::main]
fn main(mailbox: Mailbox<u64>) {
    let me = node_id();
    let all = nodes();
    let workers = lookup_nodes("role=worker").unwrap();
    println!("api: node {me}, nodes {all:?}, workers {workers:?}");
    assert_eq!(all.len(), 2);
    assert!(all.contains(&me));
    assert_eq!(workers.len(), 1);
    let worker = workers[0];
    assert!(worker != me && all.contains(&worker));

    let child = Process::spawn_node(worker, mailbox.this(), |parent, _: Mailbox<()>| {
        parent.send(node_id());
    });
    assert_eq!(child.node_id(), worker);
    let answer = mailbox.receive_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(answer, worker);
    println!("api: spawn_node child answered from node {answer}");

    let server = Where::on_node(worker).start(()).unwrap();
    assert_eq!(server.node_id(), worker);
    let answer = server.request(());
    assert_eq!(answer, worker);
    println!("api: on_node server answered from node {answer}");

    // Two sleepers on the worker; the first is killed from here and must not wake.
    let sleepers: Vec<Process<()>> = (0..2u32)
        .map(|n| {
            Process::spawn_node(worker, n, |n, _: Mailbox<()>| {
                sleep(Duration::from_millis(1000));
                println!("api: sleeper {n} woke on node {}", node_id());
            })
        })
        .collect();
    sleepers[0].kill();
    sleep(Duration::from_millis(2000));

    // A monitor and a link to processes on the worker that fail when told to.
    let mailbox = mailbox.monitorable();
    let doomed = || {
        Process::spawn_node(worker, (), |_, mailbox: Mailbox<()>| {
            mailbox.receive();
            panic!("api: told to fail");
        })
    };
    let monitored: Process<()> = doomed();
    mailbox.monitor(monitored);
    monitored.send(());
    let signal = mailbox.receive_timeout(Duration::from_secs(30));
    assert!(
        matches!(signal, Ok(MessageSignal::Signal(ProcessDiedSignal(id))) if id == monitored.id()),
        "no ProcessDied signal for the monitored process"
    );
    println!("api: monitored process on node {worker} died");
    let mailbox = mailbox.catch_link_failure();
    let linked: Process<()> = doomed();
    linked.link();
    linked.send(());
    let signal = mailbox.receive_timeout(Duration::from_secs(30));
    assert!(
        matches!(signal, Ok(MessageSignal::Signal(Signal::LinkDied(_)))),
        "no LinkDied signal for the linked process"
    );
    println!("api: linked process on node {worker} died");
    println!("api: done");
}
EOF

# Debian's toolchain, not a rustup one earlier in PATH; a persistent artifact cache per work folder.
export PATH=/usr/bin:$PATH CARGO_HOME=$work/cargo-home XDG_CACHE_HOME=$work/cache
features=json_serializer,msgpack_serializer
[[ -z "$sqlite_crate" ]] || features+=,sqlite
echo "lunatic-rs-suite: building in $src (logs in $logs)"
cargo --version
if [[ $only == test ]]; then
  build=(cargo test -p lunatic --features "$features" --test "$only_test" --no-run)
elif [[ $only == cluster ]]; then
  build=(cargo build --features "$features" --example distributed --example distributed_api)
elif [[ $only == examples ]]; then
  build=(cargo build --features "$features" --examples)
else
  build=(cargo test --workspace --features "$features" --no-run)  # examples included
fi
if ! "${build[@]}" >"$logs/build.log" 2>&1; then
  tail -n 30 "$logs/build.log" >&2
  echo "lunatic-rs-suite: the build failed (see $logs/build.log)" >&2
  exit 1
fi

# Background processes (the HTTP server, control, nodes) are stopped on the way out.
background=()
stop_background() {  # the last started first: nodes leave before control goes
  local i
  for ((i = ${#background[@]} - 1; i >= 0; i--)); do
    kill "${background[i]}" 2>/dev/null || true
    wait "${background[i]}" 2>/dev/null || true
  done
  background=()
}
trap stop_background EXIT

run_target() {  # NAME CARGO-ARGS...: one test target, its counts added up
  local name=$1 log line
  shift
  log="$logs/$name.log"
  timeout "$timeout_s" cargo test "$@" --no-fail-fast >"$log" 2>&1 || true
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -a '^test result:' | tail -n 1 || true)
  if [[ -z "$line" ]]; then
    broken=$((broken + 1))
    echo "BROKEN $name (no test result; see $log)"
    return
  fi
  local p f i
  p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  i=$(sed -E 's/.* ([0-9]+) ignored.*/\1/' <<<"$line")
  passed=$((passed + p)) failed=$((failed + f)) ignored=$((ignored + i))
  printf '%-6s %-28s %s\n' "$([[ $f -eq 0 ]] && echo ok || echo FAILED)" "$name" "${line#test result: }"
}

if [[ -z "$only" ]]; then
  python3 -m http.server "$port" --bind 127.0.0.1 >"$logs/http-server.log" 2>&1 &
  background+=($!)
  run_target lunatic-lib -p lunatic --features "$features" --lib
  for file in tests/*.rs; do
    name=$(basename "$file" .rs)
    run_target "lunatic-$name" -p lunatic --features "$features" --test "$name"
  done
  for file in lunatic-test/tests/*.rs; do
    name=$(basename "$file" .rs)
    run_target "lunatic-test-$name" -p lunatic-test --test "$name"
  done
  stop_background
fi
if [[ $only == test ]]; then
  run_target "lunatic-$only_test" -p lunatic --features "$features" --test "$only_test"
  echo "$passed passed, $failed failed, $ignored skipped, $broken broken"
  [[ $failed -eq 0 && $broken -eq 0 ]]
  exit
fi

# Each example under the runtime, checked as scripts/lunatic-rs-examples.py says; its last line
# gives the counts. distributed and distributed_api are left to the cluster below.
if [[ -z "$only" || $only == examples ]]; then
  python3 "$here/lunatic-rs-examples.py" --lunatic "$lunatic" --src "$src" --logs "$logs" \
    --compile-timeout "$timeout_s" | tee "$logs/examples.log" || true
  line=$(grep -E '^examples: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$logs/examples.log" || true)
  if [[ -z "$line" ]]; then
    broken=$((broken + 1))
    echo "BROKEN examples (no result; see $logs/examples.log)"
  else
    read -r p f s < <(sed -E 's/examples: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/' <<<"$line")
    passed=$((passed + p)) failed=$((failed + f)) ignored=$((ignored + s))
  fi
  if [[ $only == examples ]]; then
    echo "$passed passed, $failed failed, $ignored skipped"
    [[ $failed -eq 0 && $broken -eq 0 ]]
    exit
  fi
fi

# Two nodes on this machine: a `lunatic control`, a serving node tagged role=worker, and a node
# that runs a program's _start: examples/distributed.rs, then examples/distributed_api.rs.
# Every node prints its guest's output; the worker's is read after it stopped.
examples=$src/target/wasm32-wasi/debug/examples
cluster=$work/cluster
rm -rf "$cluster" "$logs/control.log" "$logs"/node-*.log
mkdir -p "$cluster"
wait_for() {  # FILE ERE SECONDS: until FILE has a line matching ERE
  local deadline=$((SECONDS + $3))
  until grep -Eq "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
node_command() {  # NAME: argv=(`lunatic node`, joining the cluster as NAME)
  argv=("$lunatic" node "$control_url" --bind-socket 127.0.0.1:0 --name "$1"
    --state-dir "$cluster/$1" --join-token-file "$cluster/control/join-token")
}
node_id_of() {  # NAME: the id the node announced
  sed -nE 's/.* is node ([0-9]+) at .*/\1/p' "$logs/node-$1.log" | head -n 1
}
has() {  # NAME LINE: the node's output has LINE
  grep -Fxq -- "$2" "$logs/node-$1.log"
}
cluster_result() {  # NAME PROBLEMS...: no problems is a pass
  local name=$1
  shift
  if [[ $# -eq 0 ]]; then
    passed=$((passed + 1))
    printf '%-6s %s\n' ok "$name"
  else
    failed=$((failed + 1))
    printf '%-6s %s:' FAILED "$name"
    printf ' %s;' "$@"
    echo
  fi
}

cluster_ok=1
"$lunatic" control --bind-socket 127.0.0.1:0 --state-dir "$cluster/control" \
  >"$logs/control.log" 2>&1 &
background+=($!)
if wait_for "$logs/control.log" 'serving http://127\.0\.0\.1:[0-9]+/' 20; then
  control_url=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/' "$logs/control.log" | head -n 1)
  node_command worker
  "${argv[@]}" --tag role=worker >"$logs/node-worker.log" 2>&1 &
  background+=($!)
  wait_for "$logs/node-worker.log" ' is node [0-9]+ at ' 30 || cluster_ok=0
else
  cluster_ok=0
fi
if [[ $cluster_ok -eq 1 ]]; then
  node_command main
  timeout "$timeout_s" "${argv[@]}" --wasm "$examples/distributed.wasm" \
    >"$logs/node-main.log" 2>&1 && main_rc=0 || main_rc=$?
  node_command api
  timeout "$timeout_s" "${argv[@]}" --wasm "$examples/distributed_api.wasm" \
    >"$logs/node-api.log" 2>&1 && api_rc=0 || api_rc=$?
fi
stop_background

if [[ $cluster_ok -eq 0 ]]; then
  echo "BROKEN cluster: control or the worker node did not start (see $logs/control.log, $logs/node-worker.log)"
  broken=$((broken + 1))
else
  # examples/distributed.rs: nodes() = [a, b] in id order; the Adder runs on a; a gets 10, b 582.
  worker=$(node_id_of worker) main=$(node_id_of main) api=$(node_id_of api)
  problems=()
  [[ $main_rc -eq 0 ]] || problems+=("exit code $main_rc")
  a=$((worker < main ? worker : main)) b=$((worker < main ? main : worker))
  name_of() { [[ $1 == "$worker" ]] && echo worker || echo main; }
  has main "Nodes [$a, $b]" || problems+=("no 'Nodes [$a, $b]'")
  has "$(name_of "$a")" "Got 1, 1 to add" || problems+=("no 'Got 1, 1 to add' on node $a")
  has "$(name_of "$a")" "Hi from $a" || problems+=("no 'Hi from $a'")
  has "$(name_of "$a")" "101 + 10 = 111" || problems+=("no '101 + 10 = 111' on node $a")
  has "$(name_of "$b")" "Hi from $b" || problems+=("no 'Hi from $b'")
  has "$(name_of "$b")" "101 + 582 = 683" || problems+=("no '101 + 582 = 683' on node $b")
  cluster_result "example distributed (2 nodes)" "${problems[@]}"

  problems=()
  [[ $api_rc -eq 0 ]] || problems+=("exit code $api_rc")
  has api "api: spawn_node child answered from node $worker" || problems+=("no answer from spawn_node")
  has api "api: on_node server answered from node $worker" || problems+=("no answer from on_node")
  has api "api: monitored process on node $worker died" || problems+=("no monitor signal")
  has api "api: linked process on node $worker died" || problems+=("no link signal")
  has api "api: done" || problems+=("no 'api: done'")
  has worker "api: sleeper 1 woke on node $worker" || problems+=("sleeper 1 did not wake")
  ! grep -q "api: sleeper 0 woke" "$logs/node-worker.log" || problems+=("the killed sleeper woke")
  cluster_result "distributed API (2 nodes, node $api)" "${problems[@]}"
fi
echo "lunatic-rs-suite: node output in $logs/control.log and $logs/node-*.log"

echo "lunatic-rs-suite: test targets that gave no result: $broken"
echo "$passed passed, $failed failed, $ignored skipped"
[[ $failed -eq 0 && $broken -eq 0 ]]
