//! `fieldbridge`: the bridge, its simulators, a capture decoder and a self-contained demo.

fn main() -> std::process::ExitCode {
    fieldbridge::main()
}
