#!/bin/sh
# `meson install` into a scratch directory, then, using only what was
# installed: build examples/ with pkg-config, and run them with the
# installed binaries on 127.0.0.1 (an rpclb-agent hosting the bus,
# adder_service embedding an agent, call_adder and rpclb calling it).
#
#   install_test.sh BUILD_DIR SOURCE_DIR SANITIZE C++ COMPILER COMMAND...
set -eu
build=$1
source=$2
sanitize=$3
shift 3

work=$(mktemp -d)
pids=""
cleanup() {
  for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
  echo "install test: $*" >&2
  for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log"; cat "$log"; } >&2; done
  exit 1
}

# Polls a command every 100 ms, 100 times at most.
eventually() {
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

echo "== meson install into $work/stage"
meson install -C "$build" --no-rebuild --destdir "$work/stage" --quiet >/dev/null
pc=$(find "$work/stage" -name rpclb.pc)
[ -n "$pc" ] || fail "no rpclb.pc installed"
bindir=$(dirname "$(find "$work/stage" -type f -path "*/bin/rpclb-agent")")
libdir=$(dirname "$(dirname "$pc")")
for file in rpclb/rpclb.hpp rpclb/client.hpp rpclb/client_defaults.hpp rpclb/agent.hpp rpclb/agent_defaults.hpp \
  rpclb/payload.hpp rpclb/error.hpp rpclb/member.hpp \
  rpclb/algorithm.hpp rpclb/algorithm_plugin.hpp; do
  [ -n "$(find "$work/stage" -path "*/include/$file")" ] || fail "header $file not installed"
done
[ -x "$bindir/rpclb" ] || fail "rpclb not installed next to rpclb-agent"
unit=$(find "$work/stage" -path "*/lib/systemd/system/rpclb-agent.service")
[ -n "$unit" ] || fail "systemd unit not installed"
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")
[ -x "$work/stage$exec_start" ] || fail "the unit runs $exec_start, which is not the installed rpclb-agent"
[ -n "$(find "$work/stage" -path "*/share/bash-completion/completions/rpclb")" ] || fail "bash completion not installed"
[ -n "$(find "$work/stage" -path "*/share/bash-completion/completions/rpclb-agent")" ] || fail "rpclb-agent bash completion not installed"
[ -n "$(find "$work/stage" -path "*/share/man/man8/rpclb-agent.8")" ] || fail "rpclb-agent(8) not installed"
[ -n "$(find "$work/stage" -path "*/share/doc/rpclb/functions.conf.example")" ] || fail "example allowlist not installed"
installed_plugin=$(find "$work/stage" -path "*/rpclb/algorithms/least_recently_used.so")
[ -n "$installed_plugin" ] || fail "the example algorithm plug-in is not installed"
plugin_source=$(find "$work/stage" -type d -path "*/share/doc/rpclb/examples/least_recently_used")
[ -n "$plugin_source" ] || fail "the example plug-in's source is not installed"

echo "== build examples against the installed library"
# Only what was installed: no other .pc file is in reach (PKG_CONFIG_LIBDIR replaces the system's).
export PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_LIBDIR="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$work/stage"
flags=$(pkg-config --cflags --libs rpclb) || fail "pkg-config does not know rpclb"
sanitizer_flags=""
[ "$sanitize" = none ] || sanitizer_flags="-fsanitize=$sanitize"
for example in adder_service call_adder; do
  # shellcheck disable=SC2086 # the flags are words
  "$@" -std=c++20 $sanitizer_flags "$source/examples/$example.cpp" $flags -o "$work/$example" \
    2>"$work/build-$example.log" || fail "building $example failed"
done

echo "== build the example plug-in from its installed source, with the installed headers only"
# shellcheck disable=SC2046 # the flags are words
"$@" -std=c++20 -shared -fPIC -fvisibility=hidden $sanitizer_flags $(pkg-config --cflags rpclb) \
  "$plugin_source/least_recently_used.cpp" "$plugin_source/plugin.cpp" -o "$work/lru.so" \
  2>"$work/build-plugin.log" || fail "building the example plug-in failed"
chmod 755 "$work/lru.so"

echo "== the public headers need only the standard library (msgpack-c is opt-in)"
printf '#include <rpclb/rpclb.hpp>\nint main() { return rpclb::args().msgpack().size() == 1 ? 0 : 1; }\n' >"$work/plain.cpp"
# shellcheck disable=SC2046 # the flags are words
"$@" -std=c++20 -E $(pkg-config --cflags rpclb) "$work/plain.cpp" >"$work/plain.i" || fail "rpclb.hpp does not compile"
if grep -q "namespace msgpack" "$work/plain.i"; then fail "rpclb/rpclb.hpp pulls in msgpack-c"; fi
# shellcheck disable=SC2086 # the flags are words
"$@" -std=c++20 $sanitizer_flags "$work/plain.cpp" $flags -o "$work/plain" || fail "a plain user does not link"
"$work/plain" || fail "rpclb::args() is not the empty array"

echo "== run them on loopback"
port=$(python3 -c '
import random, socket
def free(p):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", p)); return True
        except OSError:
            return False
while True:
    p = random.randint(20000, 59000)
    if all(free(p + i) for i in range(3)):
        print(p); break')
bus="tcp://127.0.0.1:$port"
export LD_LIBRARY_PATH="$libdir"

"$bindir/rpclb-agent" --name hub --group infra --serve-bus "$bus" --heartbeat-ms 100 2>"$work/hub.log" &
pids="$pids $!"
"$work/adder_service" "$bus" adder-1 >"$work/service.log" 2>&1 &
service=$!
pids="$pids $service"

eventually grep -q "adder-1 serving math.add at tcp://127.0.0.1:" "$work/service.log" || fail "adder_service did not start"
eventually sh -c "'$bindir/rpclb' members math --bus '$bus' | grep -qx adder-1" || fail "adder-1 never joined math"

answer=$("$work/call_adder" "$bus" 2 3 2>"$work/call.log") || fail "call_adder failed"
[ "$answer" = "2 + 3 = 5 (on adder-1)" ] || fail "call_adder printed '$answer'"
answer=$("$work/call_adder" "$bus" 2 3 200 2>"$work/async.log") || fail "call_adder with 200 in flight failed: $(cat "$work/async.log")"
[ "$answer" = "$(printf '2 + 3 = 5 (on adder-1)\n200 calls in flight: 200 right')" ] || fail "call_adder printed '$answer'"

answer=$("$bindir/rpclb" call math math.add 20 22 --bus "$bus" --json 2>"$work/cli.log") || fail "rpclb call failed"
[ "$answer" = '{"node":"adder-1","result":42}' ] || fail "rpclb call printed '$answer'"

for plugin in "$installed_plugin" "$work/lru.so"; do
  answer=$("$bindir/rpclb" --algorithm-plugin "$plugin" call math math.add 1 2 --algorithm least_recently_used \
    --bus "$bus" --json 2>"$work/plugin.log") || fail "rpclb call through $plugin failed: $(cat "$work/plugin.log")"
  [ "$answer" = '{"node":"adder-1","result":3}' ] || fail "rpclb call through $plugin printed '$answer'"
done

status=0
"$bindir/rpclb" call math math.add '"two"' 3 --bus "$bus" 2>"$work/bad.log" >/dev/null || status=$?
[ "$status" -eq 2 ] || fail "a bad argument exited $status, not 2 (bad_request)"
grep -q "rpclb: bad_request: math.add takes two integers" "$work/bad.log" || fail "bad argument message: $(cat "$work/bad.log")"

kill -TERM "$service"
status=0
wait "$service" || status=$?
[ "$status" -eq 0 ] || fail "adder_service exited $status after SIGTERM"
grep -q "adder-1 stopped" "$work/service.log" || fail "adder_service did not stop cleanly"
eventually sh -c "! '$bindir/rpclb' members math --bus '$bus'" || fail "adder-1 did not leave math"

echo "install test: ok"
