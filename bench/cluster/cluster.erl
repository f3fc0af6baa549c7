%% The Erlang/OTP anchor of the cluster suite: the work of cluster.cpp between two distributed
%% Erlang nodes on loopback, with the same output line.
%%   erl -sname a -noshell -run cluster main NODE pingpong N | pipelined N | spawn N
%%                                               | beside N BYTES | watch
%% NODE is the other node (started with the same cookie and code path), where the peer runs;
%% watch prints the wall-clock time at which NODE goes down.
-module(cluster).
-export([main/1, echo/1, counter/2, sink/1, exits/0, blaster/3]).

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

p99(Samples) ->
    Sorted = lists:sort(Samples),
    lists:nth(length(Sorted) * 99 div 100 + 1, Sorted).

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

run(watch, Node, []) ->
    monitor_node(Node, true),
    io:format("cluster: watching~n"),
    receive {nodedown, Node} -> ok end,
    io_lib:format("nodedown at_ns=~b", [os:system_time(nanosecond)]);
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
