#!/usr/bin/env bash
# Checks the shipped packaging files: bash completion answers, systemd unit parses, example functions file loads.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
agent=$1
unit=$2  # packaging/rpclb-agent.service as configured for the install
rpclb=$3
shift 3
man_pages=("$@")  # rpclb.1 and rpclb-agent.8, as the programs wrote them (PROGRAM __man)
failures=0
passes=0
check() {
  if [ "$2" != "$3" ]; then echo "FAIL $1: got '$2', want '$3'"; failures=$((failures + 1)); else echo "ok   $1"; passes=$((passes + 1)); fi
}

# shellcheck source=/dev/null
source "$top/packaging/rpclb.bash-completion"
complete_line() {  # $@: the program, then the words typed so far, the last being the one to complete
  COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
  _rpclb_complete
  echo "${COMPREPLY[*]}"
}
# No bus here: completion must not wait for one.
export RPCLB_BUS=tcp://127.0.0.1:9
check "subcommands" "$(complete_line "$rpclb" ca)" "call cast"
check "algorithms" "$(complete_line "$rpclb" select web --algorithm ha)" "hash_ring"
check "call options" "$(complete_line "$rpclb" call web sys.echo --ret)" "--retries --retry-on-timeout --retry-budget --retry-floor"
check "watch flag" "$(complete_line "$rpclb" members web --wa)" "--watch"
check "stats subcommand" "$(complete_line "$rpclb" st)" "status stats"
check "agent log levels" "$(complete_line "$agent" --log-level de)" "debug"
check "agent flags" "$(complete_line "$agent" --max-i)" "--max-inflight-bytes"

# Every flag a program's --help names (each command's, for rpclb) is offered
# by completion and documented in its man page: a flag added without either
# fails here.
plain_page() { sed -e 's/\\-/-/g' -e 's/\\f[BIR]//g' "$1"; }
rpclb_page=$(plain_page "${man_pages[0]}")
agent_page=$(plain_page "${man_pages[1]}")
flags_in_help() { "$@" --help | grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z0-9-]+' | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u; }
undocumented=""
not_completed=""
for command in "" members select call cast release groups ping status stats keygen; do
  # shellcheck disable=SC2086 # an empty command is no word at all
  offered=$(complete_line "$rpclb" $command -- | tr ' ' '\n')
  # shellcheck disable=SC2086
  for flag in $(flags_in_help "$rpclb" $command); do
    grep -qF -- "$flag" <<<"$rpclb_page" || undocumented+=" rpclb${command:+ $command} $flag"
    grep -qxF -- "$flag" <<<"$offered" || not_completed+=" rpclb${command:+ $command} $flag"
  done
done
offered=$(complete_line "$agent" -- | tr ' ' '\n')
for flag in $(flags_in_help "$agent"); do
  grep -qF -- "$flag" <<<"$agent_page" || undocumented+=" rpclb-agent $flag"
  grep -qxF -- "$flag" <<<"$offered" || not_completed+=" rpclb-agent $flag"
done
check "every flag in the man pages" "$undocumented" ""
check "every flag completed" "$not_completed" ""
for section in "EXIT STATUS" "ENVIRONMENT" "FILES" "EXAMPLES" "THE FUNCTIONS FILE" "COMMANDS" "SEE ALSO"; do
  check "rpclb.1 has $section" "$(grep -c "^\.SH $section\$" "${man_pages[0]}")" "1"
done
for section in "EXIT STATUS" "SIGNALS" "FILES" "EXAMPLES" "THE FUNCTIONS FILE"; do
  check "rpclb-agent.8 has $section" "$(grep -c "^\.SH $section\$" "${man_pages[1]}")" "1"
done
for example in "--all --json-lines" "--raw; then" "--stdin" "--watch"; do
  check "rpclb.1 example of $example" "$(grep -c -- "$example" <<<"$rpclb_page" | sed 's/^[1-9][0-9]*$/yes/')" "yes"
done

# The example allowlist is valid: the agent accepts it (and stops at once on SIGTERM).
log=$(mktemp)
"$agent" --name packaging-check --group none --listen 'tcp://127.0.0.1:*' --bus tcp://127.0.0.1:9 \
  --functions "$top/packaging/functions.conf.example" 2>"$log" &
pid=$!
# Signal it once it serves (its signal handling is set up by then), not after a guess.
for _ in $(seq 200); do grep -q "event=serving" "$log" && break; sleep 0.05; done
kill -TERM $pid
wait $pid && status=0 || status=$?
check "example functions file" "$status" "0"
rm -f "$log"

check "rpclb man page lists exit codes" "$(grep -c 'service_unavailable' "${man_pages[0]}" | sed 's/^[1-9][0-9]*$/yes/')" "yes"

# shellcheck disable=SC2016 # the $ is literal: the unit expands it, not this script
check "unit runs the installed agent" "$(grep -c '^ExecStart=/.*/rpclb-agent \$RPCLB_AGENT_OPTS$' "$unit")" "1"
# scripts/install-deps installs systemd, so the unit's syntax is always checked.
# Only the two complaints about what is not installed here are set aside: the
# agent binary at its install path, and its man page.
verdict=$(systemd-analyze verify "$unit" 2>&1 |
  grep -v "^rpclb-agent.service: Command /.*/rpclb-agent is not executable: No such file or directory$" |
  grep -v "^rpclb-agent.service: Command 'man rpclb-agent(8)' failed" || true)
check "systemd unit" "$verdict" ""
echo "$passes passed, $failures failed"
[ $failures -eq 0 ]
