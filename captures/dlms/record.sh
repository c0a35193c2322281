#!/usr/bin/env bash
# Record captures/dlms: for each scenario, a Gurux meter (tests/peers/dlms/meter.py) and a Gurux
# client session (tests/peers/dlms/session.py) on a free loopback port, recorded by dumpcap on lo
# into <scenario>.pcapng; the frames the client logged, checked byte for byte against the
# capture's TCP payloads and given Gurux's XML (tests/peers/dlms/annotate.py), into
# <scenario>.frames.jsonl; then summary.txt (tests/peers/dlms/summarise.py), which must be read
# before committing. Needs root (capture on lo), dumpcap and tshark, and a Python with the pins of
# tests/peers/requirements.txt (gurux-dlms 1.0.203):
#
#   FIELDBRIDGE_PYTHON=/tmp/dlmsvenv/bin/python captures/dlms/record.sh [SCENARIO...]
#
# Scenarios: {wrapper,hdlc}-{none,low,hls,ciphered,ciphered-general} (all ten by default).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
peers=$repo/tests/peers/dlms
python=${FIELDBRIDGE_PYTHON:-$repo/.venv/bin/python}

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    for transport in wrapper hdlc; do
        for s in none low hls ciphered ciphered-general; do
            scenarios+=("$transport-$s")
        done
    done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fb-dlms.XXXXXX")
meter_pid=
dumpcap_pid=
cleanup() {
    [ -n "$dumpcap_pid" ] && kill "$dumpcap_pid" 2>/dev/null || true
    [ -n "$meter_pid" ] && kill "$meter_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

record() { # record SCENARIO
    local name=$1 transport=${1%%-*} scenario=${1#*-}
    local port
    port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$python" -u "$peers/meter.py" --transport "$transport" --port "$port" \
        >"$work/meter.out" 2>"$work/meter.err" &
    meter_pid=$!
    for _ in $(seq 1 100); do
        grep -q ready "$work/meter.out" 2>/dev/null && break
        sleep 0.1
    done
    dumpcap -q -i lo -f "tcp port $port" -w "$work/$name.pcapng" 2>"$work/dumpcap.err" &
    dumpcap_pid=$!
    for _ in $(seq 1 100); do
        grep -q 'Capturing on' "$work/dumpcap.err" 2>/dev/null && break
        sleep 0.1
    done
    local status=0
    "$python" -u "$peers/session.py" --transport "$transport" --port "$port" \
        --scenario "$scenario" --frames "$work/$name.raw.jsonl" >"$work/session.out" 2>&1 || status=$?
    sleep 0.5
    kill -INT "$dumpcap_pid"
    wait "$dumpcap_pid" || true
    dumpcap_pid=
    kill "$meter_pid"
    wait "$meter_pid" 2>/dev/null || true
    meter_pid=
    if [ "$status" != 0 ]; then
        echo "record.sh: $name failed:" >&2
        cat "$work/session.out" "$work/meter.err" >&2
        return 1
    fi
    "$python" "$peers/annotate.py" "$work/$name.raw.jsonl" --pcap "$work/$name.pcapng" \
        --port "$port" >"$work/$name.frames.jsonl"
    cp "$work/$name.pcapng" "$work/$name.frames.jsonl" "$here/"
    chmod 644 "$here/$name.pcapng" "$here/$name.frames.jsonl"
    echo "record.sh: $name: port $port, $(wc -l <"$here/$name.frames.jsonl") frames"
}

for name in "${scenarios[@]}"; do
    record "$name"
done

"$python" "$peers/summarise.py" "$here"/*.frames.jsonl >"$here/summary.txt"
echo "record.sh: wrote $here/summary.txt: read it before committing"
