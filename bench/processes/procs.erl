%% The Erlang/OTP anchor of the "processes" benchmark suite: the same work as
%% bench/processes/procs.c does on lunatic, with the same output lines.
%%
%%   erl -noshell +P 4000000 -pa DIR -run procs main spawn N
%%   erl -noshell +P 4000000 -pa DIR -run procs main idle N
%%   erl -noshell -pa DIR -run procs main yield P K
%%   erl -noshell -pa DIR -run procs main request N
%%
%% Prints one line "procs: mode=... n=... ns=... checked=..." and halts with 0; on a wrong reply
%% it prints the problem on stderr and halts with 1. The idle mode reads the VM's own resident
%% memory (VmRSS of /proc/<os pid>/status: this beam.smp process) before spawning and with all N
%% processes alive (twice, 0.2 s apart, keeping the larger, as procs.py does for lunatic), and
%% erlang:memory(processes) at the same two points.
-module(procs).
-export([main/1]).

main(Args) ->
    try run(Args) of
        ok -> erlang:halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "procs: ~p:~p ~p~n", [Class, Reason, Stack]),
            erlang:halt(1)
    end.

run(["spawn", N]) -> spawn_bench(list_to_integer(N));
run(["idle", N]) -> idle_bench(list_to_integer(N));
run(["yield", P, K]) -> yield_bench(list_to_integer(P), list_to_integer(K));
run(["request", N]) -> request_bench(list_to_integer(N));
run(Other) -> error({usage, Other}).

now_ns() -> erlang:monotonic_time(nanosecond).

%% The waiting process: optionally "started" to the parent, block in receive, "done" to the parent.
waiter(Parent, Notify) ->
    fun() ->
        case Notify of
            true -> Parent ! started;
            false -> ok
        end,
        receive _ -> Parent ! done end
    end.

spawn_n(0, _F, Acc) -> Acc;
spawn_n(N, F, Acc) -> spawn_n(N - 1, F, [spawn(F) | Acc]).

stop_all(Pids) -> lists:foreach(fun(P) -> P ! stop end, Pids).

collect(_Msg, 0) -> ok;
collect(Msg, N) -> receive Msg -> collect(Msg, N - 1) end.

spawn_bench(N) ->
    F = waiter(self(), false),
    T0 = now_ns(),
    Pids = spawn_n(N, F, []),
    T1 = now_ns(),
    stop_all(Pids),
    collect(done, N),
    T2 = now_ns(),
    io:format("procs: mode=spawn n=~b ns=~b teardown_ns=~b checked=~b~n", [N, T1 - T0, T2 - T1, N]),
    ok.

vm_rss_kb() ->
    {ok, Status} = file:read_file("/proc/" ++ os:getpid() ++ "/status"),
    [Line] = [L || L <- binary:split(Status, <<"\n">>, [global]), binary:match(L, <<"VmRSS:">>) =/= nomatch],
    [_, Kb | _] = binary:split(Line, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(Kb).

idle_bench(N) ->
    erlang:garbage_collect(),
    Rss0 = vm_rss_kb(),
    Mem0 = erlang:memory(processes),
    F = waiter(self(), true),
    T0 = now_ns(),
    Pids = spawn_n(N, F, []),
    collect(started, N),
    T1 = now_ns(),
    Rss1a = vm_rss_kb(),
    Mem1 = erlang:memory(processes),
    timer:sleep(200),
    Rss1 = max(Rss1a, vm_rss_kb()),
    stop_all(Pids),
    collect(done, N),
    io:format("done ~b~nprocs: mode=idle n=~b ns=~b rss_base_kb=~b rss_all_kb=~b "
              "mem_processes_base=~b mem_processes_all=~b checked=~b~n",
              [N, N, T1 - T0, Rss0, Rss1, Mem0, Mem1, N]),
    ok.

yield_loop(0) -> ok;
yield_loop(K) -> erlang:yield(), yield_loop(K - 1).

yield_bench(P, K) ->
    Parent = self(),
    F = fun() -> Parent ! started, receive go -> ok end, yield_loop(K), Parent ! done end,
    Pids = spawn_n(P, F, []),
    collect(started, P),
    T0 = now_ns(),
    lists:foreach(fun(Pid) -> Pid ! go end, Pids),
    collect(done, P),
    T1 = now_ns(),
    io:format("procs: mode=yield n=~b rounds=~b ns=~b checked=~b~n", [P, K, T1 - T0, P]),
    ok.

request_loop(N, N, _Parent, Total) -> Total;
request_loop(I, N, Parent, Total) ->
    A = I, B = 2 * I + 1,
    Pid = spawn(fun() -> Parent ! {sum, self(), A + B} end),
    receive
        {sum, Pid, S} when S =:= A + B -> request_loop(I + 1, N, Parent, Total + S);
        {sum, Pid, S} -> error({wrong_sum, A, B, S})
    end.

request_bench(N) ->
    T0 = now_ns(),
    Total = request_loop(0, N, self(), 0),
    T1 = now_ns(),
    Expected = lists:sum([3 * I + 1 || I <- lists:seq(0, N - 1)]),
    Total =:= Expected orelse error({wrong_total, Total, Expected}),
    io:format("procs: mode=request n=~b ns=~b checked=~b total=~b~n", [N, T1 - T0, N, Total]),
    ok.
