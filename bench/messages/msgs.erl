%% The Erlang/OTP anchor of the messages suite: the same work as msgs.c, the same output line.
%%   erl -noshell -run msgs main pingpong N BYTES | ring P LAPS | skynet N
-module(msgs).
-export([main/1, echo/1, ring_member/0, skynet/3]).

main([Mode | Args]) ->
    Ints = [list_to_integer(A) || A <- Args],
    Line = run(list_to_atom(Mode), Ints),
    io:format("msgs: ~s~n", [Line]),
    halt(0).

now_ns() -> erlang:monotonic_time(nanosecond).

%% ---- pingpong: N round trips of a BYTES-byte binary with an echo process ----
echo(Parent) ->
    receive
        stop -> ok;
        Bin -> Parent ! Bin, echo(Parent)
    end.

pingpong(_Peer, I, N, _Pad, Checked) when I =:= N -> Checked;
pingpong(Peer, I, N, Pad, Checked) ->
    Peer ! <<I:64/little, Pad/binary>>,
    receive
        <<Back:64/little, _/binary>> ->
            pingpong(Peer, I + 1, N, Pad, Checked + (case Back of I -> 1; _ -> 0 end))
    end.

%% ---- ring: a token round P processes, LAPS times ----
ring_member() ->
    receive {next, Next} -> ring_loop(Next) end.
ring_loop(Next) ->
    receive
        Token when Token < 0 -> Next ! Token;
        Token -> Next ! Token, ring_loop(Next)
    end.

laps(_First, Lap, Laps, Checked) when Lap =:= Laps -> Checked;
laps(First, Lap, Laps, Checked) ->
    First ! Lap,
    receive Back -> laps(First, Lap + 1, Laps, Checked + (case Back of Lap -> 1; _ -> 0 end)) end.

%% ---- skynet ----
skynet(Parent, Number, 1) -> Parent ! Number;
skynet(Parent, Number, Size) ->
    Part = Size div 10,
    Self = self(),
    [spawn(?MODULE, skynet, [Self, Number + I * Part, Part]) || I <- lists:seq(0, 9)],
    Parent ! collect(10, 0).
collect(0, Sum) -> Sum;
collect(K, Sum) -> receive V -> collect(K - 1, Sum + V) end.

run(pingpong, [N, Bytes]) ->
    Self = self(),
    Peer = spawn(fun() -> echo(Self) end),
    Pad = binary:copy(<<0>>, Bytes - 8),
    T0 = now_ns(),
    Checked = pingpong(Peer, 0, N, Pad, 0),
    Ns = now_ns() - T0,
    Peer ! stop,
    io_lib:format("mode=pingpong n=~b ns=~b checked=~b bytes=~b", [N, Ns, Checked, Bytes]);
run(ring, [P, Laps]) ->
    Members = [spawn(fun ring_member/0) || _ <- lists:seq(1, P - 1)],
    Nexts = tl(Members) ++ [self()],
    [M ! {next, Next} || {M, Next} <- lists:zip(Members, Nexts)],
    First = hd(Members),
    T0 = now_ns(),
    Checked = laps(First, 0, Laps, 0),
    Ns = now_ns() - T0,
    First ! -1,
    receive _ -> ok end,
    io_lib:format("mode=ring n=~b ns=~b checked=~b laps=~b", [P, Ns, Checked, Laps]);
run(skynet, [N]) ->
    T0 = now_ns(),
    spawn(?MODULE, skynet, [self(), 0, N]),
    Sum = receive V -> V end,
    Ns = now_ns() - T0,
    io_lib:format("mode=skynet n=~b ns=~b checked=~b", [N, Ns, Sum]).
