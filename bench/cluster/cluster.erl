%% The Erlang/OTP anchor of the cluster suite: the work of cluster.cpp between two distributed
%% Erlang nodes on loopback, with the same output line.
%%   erl -sname a -noshell -run cluster main NODE pingpong N | pipelined N | spawn N
%%                                               | beside N BYTES | watch N | monitors N
%%                                               | global N
%% NODE is the other node (started with the same cookie and code path), where the peer runs.
%% watch links to and monitors N processes on NODE, then prints the wall-clock time at which
%% the last of them fired and at which monitor_node said nodedown (the harness kills or freezes
%% NODE); monitors measures erlang:memory(total) on both nodes before and after N monitors of
%% processes on NODE; global registers a name here and looks it up on NODE, N times.
-module(cluster).
-export([main/1, echo/1, counter/2, sink/1, exits/0, blaster/3, spawn_targets/2, looker/1]).

main([NodeName, Mode | Args]) ->
    Node = list_to_atom(NodeName),
    connect(Node, 100),
    Ints = [list_to_integer(A) || A <- Args],
    Line = run(list_to_atom(Mode), Node, Ints),
    io:format("cluster: ~s~n", [Line]),
    halt(0).

now_ns() -> erlang:monotonic_time(nanosecond).

%% The other node may still be starting: try for up to 10 s.
connect(Node, 0) -> error({cannot_connect, Node});
connect(Node, Tries) ->
    case net_adm:ping(Node) of
        pong -> ok;
        pang -> timer:sleep(100), connect(Node, Tries - 1)
    end.

echo(Parent) ->
    receive
        I when I < 0 -> ok;
        I -> Parent ! I, echo(Parent)
    end.

counter(Parent, Expected) ->
    receive
        I when I < 0 -> Parent ! Expected;
        Expected -> counter(Parent, Expected + 1);
        _ -> counter(Parent, Expected)
    end.

sink(Parent) ->
    receive
        <<>> -> ok;
        Bin -> Parent ! byte_size(Bin), sink(Parent)
    end.

exits() -> ok.

round_trips(_Peer, I, N, Acc, Checked) when I =:= N -> {lists:reverse(Acc), Checked};
round_trips(Peer, I, N, Acc, Checked) ->
    T = now_ns(),
    Peer ! I,
    receive
        Back when is_integer(Back) ->
            round_trips(Peer, I + 1, N, [now_ns() - T | Acc],
                        Checked + (case Back of I -> 1; _ -> 0 end))
    end.

p99(Samples) -> percentile(Samples, 99).

percentile(Samples, Pct) ->
    Sorted = lists:sort(Samples),
    lists:nth(length(Sorted) * Pct div 100 + 1, Sorted).

%% Sends 1 to every process and waits for every answer.
ping_all(Pids) ->
    [P ! 1 || P <- Pids],
    [receive 1 -> ok end || _ <- Pids],
    ok.

monitor_batches([], _Spawner) -> ok;
monitor_batches(Targets, Spawner) ->
    {Batch, Rest} = lists:split(min(100, length(Targets)), Targets),
    lists:foreach(fun(T) -> erlang:monitor(process, T) end, Batch),
    ping_all([Spawner]),
    monitor_batches(Rest, Spawner).

%% Waits until Links links and Monitors monitors of the watch mode have fired and nodedown has
%% come; returns the wall-clock time of the first and the last that fired, and of nodedown.
fired(0, 0, First, Last, Down) when Down > 0 -> {First, Last, Down};
fired(Links, Monitors, First, Last, Down) ->
    receive
        {'EXIT', _, _} -> fired_one(Links - 1, Monitors, First, Down);
        {'DOWN', _, process, _, _} -> fired_one(Links, Monitors - 1, First, Down);
        {nodedown, _} -> fired(Links, Monitors, First, Last, os:system_time(nanosecond))
    end.

fired_one(Links, Monitors, First, Down) ->
    Now = os:system_time(nanosecond),
    fired(Links, Monitors, case First of 0 -> Now; _ -> First end, Now, Down).

%% On the monitored node: N echo processes answering Parent, their pids sent to it; then echoes.
spawn_targets(Parent, N) ->
    Parent ! {targets, [spawn(?MODULE, echo, [Parent]) || _ <- lists:seq(1, N)]},
    echo(Parent).

%% erlang:memory(total) here and on Node, after a garbage collection of this process.
memory_both(Node) ->
    garbage_collect(),
    {erlang:memory(total), rpc:call(Node, erlang, memory, [total])}.

%% On the other node: for each I, looks up name I until it names Owner.
looker(Owner) ->
    receive
        stop -> ok;
        I ->
            Owner ! {seen, look({cluster_bench, I}, Owner, 1)},
            looker(Owner)
    end.

look(Name, Owner, Tries) ->
    T = now_ns(),
    Found = global:whereis_name(Name),
    Ns = now_ns() - T,
    case Found of
        Owner -> {Tries, Ns};
        _ when Tries >= 100000 -> {-1, Ns};
        _ -> look(Name, Owner, Tries + 1)
    end.

%% One register here, lookup there until seen, unregister: the times of each part.
global_op(Looker, I) ->
    Name = {cluster_bench, I},
    T0 = now_ns(),
    Registered = global:register_name(Name, self()),
    T1 = now_ns(),
    Looker ! I,
    {Tries, LookupNs} = receive {seen, S} -> S end,
    T2 = now_ns(),
    global:unregister_name(Name),
    T3 = now_ns(),
    Ok = case {Registered, Tries > 0} of {yes, true} -> 1; _ -> 0 end,
    {T1 - T0, T2 - T0, LookupNs, T3 - T2, Ok, max(Tries, 0)}.

pipeline(_Peer, I, N) when I =:= N -> ok;
pipeline(Peer, I, N) -> Peer ! I, pipeline(Peer, I + 1, N).

spawns(_Node, I, N, Acc, Checked) when I =:= N -> {Acc, Checked};
spawns(Node, I, N, Acc, Checked) ->
    T = now_ns(),
    Pid = spawn(Node, ?MODULE, exits, []),
    spawns(Node, I + 1, N, [now_ns() - T | Acc],
           Checked + (case node(Pid) of Node -> 1; _ -> 0 end)).

blaster(Parent, Node, Bytes) ->
    Me = self(),
    Sink = spawn(Node, ?MODULE, sink, [Me]),
    Payload = binary:copy(<<16#5A>>, Bytes),
    Parent ! 0,
    blast(Parent, Sink, Payload, Bytes, 0, 0).

blast(Parent, Sink, Payload, Bytes, Sent, TotalNs) ->
    T = now_ns(),
    Sink ! Payload,
    Stop = wait_ack(Bytes, false),
    Total = TotalNs + (now_ns() - T),
    case Stop of
        true -> Sink ! <<>>, Parent ! Sent + 1, Parent ! Total;
        false -> blast(Parent, Sink, Payload, Bytes, Sent + 1, Total)
    end.

wait_ack(Bytes, Stop) ->
    receive
        Bytes -> Stop;
        I when I < 0 -> wait_ack(Bytes, true)
    end.

run(watch, Node, [N]) ->
    process_flag(trap_exit, true),
    Me = self(),
    Peers = [spawn(Node, ?MODULE, echo, [Me]) || _ <- lists:seq(1, N)],
    lists:foreach(fun(P) -> link(P), erlang:monitor(process, P) end, Peers),
    %% Signals and messages between two processes arrive in order: once each peer has
    %% answered, its link and monitor are in place on NODE too.
    ping_all(Peers),
    monitor_node(Node, true),
    io:format("cluster: watching~n"),
    {First, Last, Down} = fired(N, N, 0, 0, 0),
    io_lib:format("mode=watch n=~b ns=0 checked=~b first_ns=~b at_ns=~b nodedown_ns=~b",
                  [N, N, First, Last, Down]);
run(monitors, Node, [N]) ->
    Me = self(),
    Spawner = spawn(Node, ?MODULE, spawn_targets, [Me, N]),
    Targets = receive {targets, Ts} -> Ts end,
    ping_all([Spawner]),
    {A0, B0} = memory_both(Node),
    T0 = now_ns(),
    %% As in cluster.cpp: nothing goes to the targets until the memory is read; the monitors go
    %% 100 at a time, each batch followed by a round trip with the spawner over the same
    %% connection.
    monitor_batches(Targets, Spawner),
    Ns = now_ns() - T0,
    {A1, B1} = memory_both(Node),
    [T ! -1 || T <- Targets],
    Spawner ! -1,
    Downs = length([ok || _ <- Targets, receive {'DOWN', _, process, _, _} -> true end]),
    io_lib:format("mode=monitors n=~b ns=~b checked=~b a_bytes=~b b_bytes=~b",
                  [N, Ns, Downs, A1 - A0, B1 - B0]);
run(global, Node, [N]) ->
    Me = self(),
    Looker = spawn(Node, ?MODULE, looker, [Me]),
    WarmUp = 10,
    T0 = now_ns(),
    Ops = [global_op(Looker, I) || I <- lists:seq(0, N + WarmUp - 1)],
    Ns = now_ns() - T0,
    Looker ! stop,
    {Put, Visible, Lookup, Removal, Ok, Tries} =
        lists:foldl(fun({P, V, L, R, C, Tr}, {Ps, Vs, Ls, Rs, Cs, Trs}) ->
                            {[P | Ps], [V | Vs], [L | Ls], [R | Rs], Cs + C, Trs + Tr}
                    end, {[], [], [], [], 0, 0}, lists:nthtail(WarmUp, Ops)),
    io_lib:format("mode=global n=~b ns=~b checked=~b tries=~b op_p50_ns=~b op_p99_ns=~b "
                  "register_p50_ns=~b register_p99_ns=~b whereis_p50_ns=~b whereis_p99_ns=~b "
                  "unregister_p50_ns=~b",
                  [N, Ns, Ok, Tries, percentile(Visible, 50), percentile(Visible, 99),
                   percentile(Put, 50), percentile(Put, 99), percentile(Lookup, 50),
                   percentile(Lookup, 99), percentile(Removal, 50)]);
run(pingpong, Node, [N]) ->
    Peer = spawn(Node, ?MODULE, echo, [self()]),
    Peer ! 0,
    receive 0 -> ok end,
    T0 = now_ns(),
    {_, Checked} = round_trips(Peer, 0, N, [], 0),
    Ns = now_ns() - T0,
    Peer ! -1,
    io_lib:format("mode=pingpong n=~b ns=~b checked=~b", [N, Ns, Checked]);
run(pipelined, Node, [N]) ->
    Peer = spawn(Node, ?MODULE, counter, [self(), 0]),
    T0 = now_ns(),
    pipeline(Peer, 0, N),
    Peer ! -1,
    Count = receive C -> C end,
    Ns = now_ns() - T0,
    io_lib:format("mode=pipelined n=~b ns=~b checked=~b", [N, Ns, Count]);
run(spawn, Node, [N]) ->
    spawn(Node, ?MODULE, exits, []),
    T0 = now_ns(),
    {Each, Checked} = spawns(Node, 0, N, [], 0),
    Ns = now_ns() - T0,
    Sorted = lists:sort(Each),
    io_lib:format("mode=spawn n=~b ns=~b checked=~b p50_ns=~b p99_ns=~b",
                  [N, Ns, Checked, lists:nth(N div 2 + 1, Sorted), p99(Each)]);
run(beside, Node, [N, Bytes]) ->
    Peer = spawn(Node, ?MODULE, echo, [self()]),
    round_trips(Peer, 0, 100, [], 0),
    {Idle, Checked1} = round_trips(Peer, 0, N, [], 0),
    Me = self(),
    Blaster = spawn(fun() -> blaster(Me, Node, Bytes) end),
    receive 0 -> ok end,
    T0 = now_ns(),
    {Loaded, Checked2} = round_trips(Peer, 0, N, [], 0),
    Ns = now_ns() - T0,
    Blaster ! -1,
    BigSent = receive S -> S end,
    BigNs = receive B -> B end,
    Peer ! -1,
    io_lib:format("mode=beside n=~b ns=~b checked=~b idle_p99_ns=~b loaded_p99_ns=~b "
                  "big_sent=~b big_rtt_ns=~b",
                  [N, Ns, Checked1 + Checked2, p99(Idle), p99(Loaded), BigSent,
                   BigNs div max(BigSent, 1)]).
