#!/usr/bin/env escript
%%! -name rpclb_bench_client@127.0.0.1 -setcookie rpclb_bench -kernel inet_dist_use_interface {127,0,0,1}
%% The system the model library wraps: Erlang :erpc.call between two BEAM nodes
%% on this machine (127.0.0.1 only), same payload and call counts as the rpclb
%% benchmarks. The server node is started by bench/run-all.
%%
%%   erpc_bench.escript latency NODE CALLS
%%   erpc_bench.escript throughput NODE CALLERS SECONDS

main(["latency", NodeName, Calls]) ->
    Node = connect(NodeName),
    N = list_to_integer(Calls),
    Times = [time_call(Node) || _ <- lists:seq(1, N + N div 10)],
    Sorted = lists:sort(lists:nthtail(N div 10, Times)),  %% first 10%: warm-up
    io:format("erpc p50_us=~.1f p99_us=~.1f calls=~b~n", [at(Sorted, 0.50), at(Sorted, 0.99), N]);
main(["throughput", NodeName, Callers, Seconds]) ->
    Node = connect(NodeName),
    C = list_to_integer(Callers),
    Millis = round(list_to_float(Seconds) * 1000),
    Parent = self(),
    Stop = erlang:monotonic_time(millisecond) + Millis,
    [spawn_link(fun() -> Parent ! {done, loop(Node, Stop, 0)} end) || _ <- lists:seq(1, C)],
    Total = lists:sum([receive {done, Count} -> Count end || _ <- lists:seq(1, C)]),
    io:format("erpc callers=~b calls_per_s=~b calls=~b~n", [C, round(Total / (Millis / 1000)), Total]).

connect(NodeName) ->
    Node = list_to_atom(NodeName),
    wait_for(Node, 100).

wait_for(Node, 0) -> io:format(standard_error, "cannot reach ~p~n", [Node]), halt(1);
wait_for(Node, Tries) ->
    case net_adm:ping(Node) of
        pong -> Node;
        pang -> timer:sleep(100), wait_for(Node, Tries - 1)
    end.

payload() -> <<"0123456789abcdef">>.

%% erlang:element(1, {P}) returns P: an identity function, as sys.echo is.
call(Node) -> P = payload(), P = erpc:call(Node, erlang, element, [1, {P}], 5000).

time_call(Node) ->
    Start = erlang:monotonic_time(nanosecond),
    call(Node),
    (erlang:monotonic_time(nanosecond) - Start) / 1000.

loop(Node, Stop, Count) ->
    case erlang:monotonic_time(millisecond) >= Stop of
        true -> Count;
        false -> call(Node), loop(Node, Stop, Count + 1)
    end.

at(Sorted, Q) -> lists:nth(1 + trunc(Q * (length(Sorted) - 1)), Sorted).
