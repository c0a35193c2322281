#!/usr/bin/env bash
# Record captures/iec104/c104-session.pcapng: two real c104 2.2.1 peers (lib60870-C), a server and
# a client in tests/peers/iec104_session.py, on a free loopback port, recorded by tshark on lo;
# then write c104-session.tshark.json (tshark_summary.py), c104-session.decode.jsonl (our decoder:
# check it by eye against tshark before committing) and the port into README.md. Needs root
# (capture on lo), tshark, .venv with c104 (scripts/install-peers) and a built fieldbridge.
#
#   captures/iec104/record.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${FIELDBRIDGE_PYTHON:-$repo/.venv/bin/python}
fieldbridge=${FIELDBRIDGE_BIN:-$repo/target/debug/fieldbridge}
pcap=$here/c104-session.pcapng
summary=$here/c104-session.tshark.json
expected=$here/c104-session.decode.jsonl

work=$(mktemp -d "${TMPDIR:-/tmp}/fb-record.XXXXXX")
tshark_pid=
cleanup() {
    [ -n "$tshark_pid" ] && kill "$tshark_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# c104 2.2.1's client now and then misses the actcon of a select (a race in its command
# tracking) and never sends the execute: the session then fails and is recorded again.
record() { # record PORT: 0 when the session completed
    tshark -i lo -f "tcp port $1" -w "$work/capture.pcapng" -q 2>"$work/tshark.err" &
    tshark_pid=$!
    for _ in $(seq 1 150); do
        grep -q 'Capturing on' "$work/tshark.err" 2>/dev/null && break
        sleep 0.1
    done
    local status=0
    "$python" -u "$repo/tests/peers/iec104_session.py" "$1" >"$work/session.out" || status=$?
    sleep 1
    kill -INT "$tshark_pid"
    wait "$tshark_pid" || true
    tshark_pid=
    return "$status"
}

for attempt in 1 2 3 4 5; do
    port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "record.sh: attempt $attempt, port $port"
    if record "$port"; then
        break
    fi
    echo "record.sh: the session failed:" >&2
    cat "$work/session.out" >&2
    [ "$attempt" = 5 ] && exit 1
done

cp "$work/capture.pcapng" "$pcap"
chmod 644 "$pcap"
"$python" "$here/tshark_summary.py" "$pcap" "$port" >"$summary"
sed -i "s/^Port: .*/Port: $port/" "$here/README.md"
"$fieldbridge" decode --protocol iec104 --pcap "$pcap" --port "$port" >"$expected"
frames=$(tshark -r "$pcap" | wc -l)
apdus=$("$python" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["apdus"]))' "$summary")
echo "record.sh: wrote $pcap ($frames frames, $apdus APDUs), $summary, $expected; port $port in README.md"
