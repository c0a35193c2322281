#!/usr/bin/env bash
# Record the IEC 60870-5-101 sessions of captures/iec101/: our lib60870-C peers
# (tests/peers/lib60870: cs101_master against cs101_slave) on a socat pseudo-terminal pair, the
# line recorded by socat -x and cut into FT1.2 frames by socat_frames.py; the master's own log of
# the frames (--raw) must list the same frames in each direction, else the session is recorded
# again.
# Writes, per session NAME, NAME.hex (one frame per line with its direction) and
# NAME.lib60870.log (what lib60870's master sent and decoded, its raw frame lines left out).
# Needs socat, python3 and the peers (scripts/build-lib60870, run here first).
#
#   captures/iec101/record.sh [NAME...]     (default: every session below)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
"$repo/scripts/build-lib60870" >/dev/null
bin=${FIELDBRIDGE_LIB60870_DIR:-$repo/target/lib60870}/bin

work=$(mktemp -d "${TMPDIR:-/tmp}/fb-record101.XXXXXX")
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# The sessions: NAME, link address octets, slave options, master options (shared options first).
declare -A link_octets slave_args master_args about
sessions=(unbalanced balanced rejects)

about[unbalanced]="unbalanced, two stations (link addresses 1 and 2, common addresses 1 and 2) on one line; link address 1 octet, COT 1, CA 1, IOA 2"
link_octets[unbalanced]=1
common="--link-address 1,2"
slave_args[unbalanced]="$common --spontaneous-ms 700 --spontaneous-count 2"
master_args[unbalanced]="$common --poll-ms 300 --duration-ms 2600"

about[balanced]="balanced, slave link address 3, master 4, common address 300, originator 5; link address 2 octets, COT 2, CA 2, IOA 3"
link_octets[balanced]=2
common="--mode balanced --link-address 3 --ca 300 --link-address-size 2 --cot-size 2 --ca-size 2 --ioa-size 3"
slave_args[balanced]="$common --other-address 4 --spontaneous-ms 600 --spontaneous-count 1"
master_args[balanced]="$common --own-address 4 --originator 5 --duration-ms 1800"

about[rejects]="unbalanced, one station (link address 7, common address 7), ACK as fixed frames (no E5); an execute without select, refused; link address 2 octets, COT 2, CA 2, IOA 3"
link_octets[rejects]=2
common="--link-address 7 --link-address-size 2 --cot-size 2 --ca-size 2 --ioa-size 3 --single-char-ack 0"
slave_args[rejects]="$common --spontaneous-ms 0"
master_args[rejects]="$common --no-clock-sync --direct-execute --poll-ms 300 --duration-ms 1500"

# record NAME: 0 when socat and the master saw the same frames.
record() {
    local name=$1 dir=$work/$1 socat_pid slave_pid
    rm -rf "$dir"
    mkdir -p "$dir"
    socat -x -d -d "pty,raw,echo=0,link=$dir/master" "pty,raw,echo=0,link=$dir/slave" \
        2>"$dir/socat.log" &
    socat_pid=$!
    pids+=("$socat_pid")
    for _ in $(seq 1 50); do
        [ -e "$dir/slave" ] && [ -e "$dir/master" ] && break
        sleep 0.1
    done
    # shellcheck disable=SC2086
    "$bin/cs101_slave" --device "$dir/slave" ${slave_args[$name]} >"$dir/slave.out" 2>&1 &
    slave_pid=$!
    pids+=("$slave_pid")
    for _ in $(seq 1 50); do
        grep -q '^ready' "$dir/slave.out" 2>/dev/null && break
        sleep 0.1
    done
    # shellcheck disable=SC2086
    "$bin/cs101_master" --device "$dir/master" --raw ${master_args[$name]} >"$dir/master.out"
    kill "$slave_pid" 2>/dev/null || true
    wait "$slave_pid" 2>/dev/null || true
    # socat ends by itself once the master's end is closed; give it the time to.
    for _ in $(seq 1 30); do
        kill -0 "$socat_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$socat_pid" 2>/dev/null || true
    wait "$socat_pid" 2>/dev/null || true

    python3 "$here/socat_frames.py" "$dir/socat.log" "${link_octets[$name]}" >"$dir/frames" ||
        return 1
    sed -n 's/^frame link=-1 dir=\(tx\|rx\) hex=\(.*\)$/\1 \2/p' "$dir/master.out" |
        python3 -c '
import sys
for line in sys.stdin:
    way, hex_ = line.split()
    print("M" if way == "tx" else "S", bytes.fromhex(hex_).hex(" ").upper())
' >"$dir/master.frames"
    # Each direction in the same order. Across directions the order may differ: in balanced
    # mode both stations send at will, and socat and the master see the crossing frames in
    # either order.
    local way
    for way in M S; do
        if ! cmp -s <(grep "^$way " "$dir/frames") <(grep "^$way " "$dir/master.frames"); then
            echo "record.sh: $name: socat and the master saw different $way frames" >&2
            diff <(grep "^$way " "$dir/frames") <(grep "^$way " "$dir/master.frames") |
                head -5 >&2 || true
            return 1
        fi
    done
    grep -q '^complete' "$dir/master.out" || {
        echo "record.sh: $name: the master did not complete its requests" >&2
        return 1
    }
}

[ "$#" -gt 0 ] && sessions=("$@")
for name in "${sessions[@]}"; do
    [ -n "${about[$name]:-}" ] || { echo "record.sh: no session $name" >&2; exit 2; }
    for attempt in 1 2 3; do
        echo "record.sh: $name, attempt $attempt"
        record "$name" && break
        [ "$attempt" = 3 ] && { echo "record.sh: $name failed three times" >&2; exit 1; }
    done
    {
        echo "# IEC 60870-5-101 session '$name', recorded $(date -u +%Y-%m-%dT%H:%M:%SZ) by captures/iec101/record.sh"
        echo "# lib60870-C 2.3.4: tests/peers/lib60870 cs101_master against cs101_slave over socat"
        echo "# ${about[$name]}"
        echo "# slave:  cs101_slave ${slave_args[$name]}"
        echo "# master: cs101_master ${master_args[$name]}"
        echo "# One FT1.2 frame per line: M = sent by the master (controlling station), S = by the slave."
        cat "$work/$name/frames"
    } >"$here/$name.hex"
    grep -v "^frame " "$work/$name/master.out" | sed "s|device=$work/$name/|device=DIR/|" >"$here/$name.lib60870.log"
    echo "record.sh: wrote $name.hex ($(grep -c '^[MS] ' "$here/$name.hex") frames) and $name.lib60870.log"
done
