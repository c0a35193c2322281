//! lib60870-C as a separate program (`lib60870_decode`, built from `benches/c/` by
//! `scripts/build-lib60870`), so the GPL-3.0 library is never linked into this crate. One run of
//! it is one timed round: it decodes the frame ITERATIONS times as a warm-up, then ITERATIONS
//! times timed with `CLOCK_MONOTONIC`, and prints the elapsed time, the digest of one frame and
//! the heap calls of the timed loop (counted by `--wrap=malloc,calloc,realloc`).

use fieldbridge_bench::iec::IecKind;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// How the C decoder gets its ASDU object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `CS101_ASDU_createFromBufferEx` on a stack object, as lib60870's own 104 receive path
    /// does (declared in its internal header): no heap call.
    Stack,
    /// `CS101_ASDU_createFromBuffer`, the public API: one `malloc` per frame.
    Public,
}

impl Variant {
    /// The `--variant` argument.
    pub fn arg(self) -> &'static str {
        match self {
            Variant::Stack => "stack",
            Variant::Public => "public",
        }
    }
}

/// One timed round of the C program.
#[derive(Debug, Clone, Copy)]
pub struct Round {
    /// The time of ITERATIONS decodes.
    pub elapsed: Duration,
    /// The digest of one decode.
    pub digest: u64,
    /// Heap calls in the timed loop.
    pub allocations: u64,
}

/// `$FIELDBRIDGE_LIB60870_DIR/bin/lib60870_decode`, else `target/lib60870/bin/lib60870_decode`
/// of the workspace (where `scripts/build-lib60870` puts it).
pub fn program() -> PathBuf {
    let dir = std::env::var_os("FIELDBRIDGE_LIB60870_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/lib60870"),
        PathBuf::from,
    );
    dir.join("bin").join("lib60870_decode")
}

/// Runs one round: `iterations` decodes of `frame` after as many for warm-up.
///
/// # Errors
/// A message when the program cannot run, fails or prints something unexpected.
pub fn round(
    variant: Variant,
    kind: IecKind,
    frame: &[u8],
    iterations: u64,
) -> Result<Round, String> {
    let program = program();
    let hex: String = frame.iter().map(|b| format!("{b:02x}")).collect();
    let output = Command::new(&program)
        .args(["--kind", kind.name(), "--frame", &hex])
        .args(["--iterations", &iterations.to_string()])
        .args(["--variant", variant.arg()])
        .output()
        .map_err(|e| {
            format!(
                "cannot run {} ({e}); build it with scripts/build-lib60870",
                program.display()
            )
        })?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            program.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| -> Result<u64, String> {
        text.split_whitespace()
            .find_map(|token| token.strip_prefix(name)?.strip_prefix('='))
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("no {name}= in the output of lib60870_decode: {text:?}"))
    };
    Ok(Round {
        elapsed: Duration::from_nanos(field("ns")?),
        digest: field("digest")?,
        allocations: field("allocs")?,
    })
}
