#!/usr/bin/env bash
# Record captures/modbus/pymodbus-tcp.pcapng: the pymodbus peer (tests/peers/modbus_server.py,
# profile "map") on a free loopback port, talking to the pymodbus client session of session.py,
# recorded by tshark on lo; then write pymodbus-tcp.tshark.json (tshark_summary.py) and the port
# into README.md. Needs root (capture on lo), tshark and .venv (scripts/install-peers).
#
#   captures/modbus/record.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${FIELDBRIDGE_PYTHON:-$repo/.venv/bin/python}
pcap=$here/pymodbus-tcp.pcapng
summary=$here/pymodbus-tcp.tshark.json

work=$(mktemp -d "${TMPDIR:-/tmp}/fb-record.XXXXXX")
server_pid=
tshark_pid=
cleanup() {
    [ -n "$tshark_pid" ] && kill "$tshark_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # wait_for FILE PATTERN WHAT
    for _ in $(seq 1 150); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "record.sh: $3 not ready; its output:" >&2
    cat "$1" >&2
    return 1
}

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "record.sh: port $port"

"$python" -u "$repo/tests/peers/modbus_server.py" tcp "$port" --profile map \
    >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
wait_for "$work/server.out" '^ready' "modbus_server.py"

tshark -i lo -f "tcp port $port" -w "$work/capture.pcapng" -q 2>"$work/tshark.err" &
tshark_pid=$!
wait_for "$work/tshark.err" 'Capturing on' "tshark"

"$python" "$here/session.py" "$port" >"$work/session.out"
sleep 1
kill -INT "$tshark_pid"
wait "$tshark_pid" || true
tshark_pid=
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=

cp "$work/capture.pcapng" "$pcap"
chmod 644 "$pcap"
"$python" "$here/tshark_summary.py" "$pcap" "$port" >"$summary"
sed -i "s/^Port: .*/Port: $port/" "$here/README.md"
frames=$(tshark -r "$pcap" | wc -l)
modbus=$("$python" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["frames"]))' "$summary")
echo "record.sh: wrote $pcap ($frames frames, $modbus Modbus), $summary; port $port in README.md"
