//! The serial line of the 101 simulator: frames to write wait in a buffer written whenever
//! the line takes them, so the link's timers never wait for a write; reading stops while that
//! buffer is full.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::time::Instant;

/// Octets waiting for the line beyond which nothing more is read from it.
const MAX_UNWRITTEN: usize = 16 * 1024;

/// What [`Line::wait`] saw.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Woken<'a> {
    /// Octets read from the line.
    Read(&'a [u8]),
    /// Some waiting octets were written.
    Written,
    /// The time given came.
    Timer,
}

/// Both directions of a serial line (or any byte stream standing in for one).
pub(super) struct Line<S> {
    reader: ReadHalf<S>,
    writer: WriteHalf<S>,
    unwritten: Vec<u8>,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite> Line<S> {
    pub(super) fn new(stream: S) -> Self {
        let (reader, writer) = tokio::io::split(stream);
        Self {
            reader,
            writer,
            unwritten: Vec::with_capacity(1024),
            buf: vec![0; 1024],
        }
    }

    /// Queues octets to write.
    pub(super) fn send(&mut self, bytes: &[u8]) {
        self.unwritten.extend_from_slice(bytes);
    }

    /// Writes what waits, reads, or sleeps until `wake`, whichever comes first.
    ///
    /// # Errors
    /// Reading or writing fails, or the line reached its end.
    pub(super) async fn wait(&mut self, wake: Option<Instant>) -> io::Result<Woken<'_>> {
        let timer = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let (unwritten, buf) = (&mut self.unwritten, &mut self.buf);
        tokio::select! {
            written = self.writer.write(unwritten), if !unwritten.is_empty() => {
                let n = written?;
                if n == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                unwritten.drain(..n.min(unwritten.len()));
                Ok(Woken::Written)
            }
            read = self.reader.read(buf), if unwritten.len() < MAX_UNWRITTEN => {
                let n = read?;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                Ok(Woken::Read(buf.get(..n).unwrap_or_default()))
            }
            () = timer => Ok(Woken::Timer),
        }
    }
}
