# Reads the output of `cargo test` (scripts/test) and prints one line per failed test: its
# binary, its name and the first lines of its panic message, for the end of the results.
/^ +Running / {
    target = $0
    sub(/.*\(/, "", target); sub(/\)$/, "", target); sub(/.*\//, "", target); sub(/-[0-9a-f]+$/, "", target)
    next
}
/^successes:$/ { mode = "ok"; next }
/^failures:$/ { mode = "fail"; next }
/^test result: / { mode = ""; next }
mode == "fail" && /^---- .* stdout ----$/ { name = $2; next }
mode == "fail" && name != "" && /panicked at / {
    printf "failed: %s %s:", target, name; want = 3; name = ""; next
}
want > 0 {
    if ($0 == "") { printf "\n"; want = 0; next }
    printf " %s", substr($0, 1, 200)
    if (--want == 0) printf "\n"
    next
}
