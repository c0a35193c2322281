//! The receiving side of the serial line: bytes of any read in, whole FT1.2 frames out, garbage
//! between frames discarded (IEC 60870-5-1 clause 6.2.4.2: the receiver hunts for the next
//! start character after an error).

use super::event::Event;
use crate::ft12::{self, Control, Frame, LinkConfig, MAX_FRAME_LEN};
use crate::Error;

/// What the line delivered: a frame, or bytes that could not start one.
#[derive(Debug)]
enum Received<'a> {
    Frame(Frame<'a>),
    Discarded { bytes: usize, error: Option<Error> },
}

/// The control field, link address and user data of a frame (IEC 60870-5-1 clause 6.2.4);
/// `None` for the single character E5, which has none of them.
pub(super) fn fields<'a>(frame: &Frame<'a>) -> Option<(Control, u16, Option<&'a [u8]>)> {
    match *frame {
        Frame::SingleChar => None,
        Frame::Fixed { control, address } => Some((control, address, None)),
        Frame::Variable {
            control,
            address,
            asdu,
        } => Some((control, address, Some(asdu))),
    }
}

/// A buffer of one frame's length: a frame is at most 261 bytes, and hunting drops everything
/// before a possible start, so a partial frame always fits.
#[derive(Debug, Clone)]
pub(super) struct Receiver {
    buf: [u8; MAX_FRAME_LEN],
    len: usize,
}

impl Receiver {
    pub(super) fn new() -> Self {
        Self {
            buf: [0; MAX_FRAME_LEN],
            len: 0,
        }
    }

    /// Takes `data`, read from the line, hands every frame to `on_frame` with `on_event`, and
    /// reports every run of garbage as [`Event::Discarded`], in order: what each link's
    /// `on_bytes` does.
    pub(super) fn frames<E: FnMut(Event<'_>)>(
        &mut self,
        data: &[u8],
        config: &LinkConfig,
        on_event: &mut E,
        mut on_frame: impl FnMut(&Frame<'_>, &mut E),
    ) {
        self.feed(data, config, |item| match item {
            Received::Frame(frame) => on_frame(&frame, on_event),
            Received::Discarded { bytes, error } => on_event(Event::Discarded { bytes, error }),
        });
    }

    /// Takes `data`, read from the line, and hands every frame and every run of garbage to
    /// `on_item` in order.
    fn feed(
        &mut self,
        mut data: &[u8],
        config: &LinkConfig,
        mut on_item: impl FnMut(Received<'_>),
    ) {
        loop {
            let room = MAX_FRAME_LEN - self.len;
            let take = room.min(data.len());
            if let (Some(to), Some(from)) = (
                self.buf.get_mut(self.len..self.len + take),
                data.get(..take),
            ) {
                to.copy_from_slice(from);
            }
            self.len += take;
            data = data.get(take..).unwrap_or_default();
            loop {
                let filled = self.buf.get(..self.len).unwrap_or_default();
                let hunt = ft12::decode_hunting(filled, config);
                let consumed = hunt.consumed();
                if hunt.discarded > 0 {
                    on_item(Received::Discarded {
                        bytes: hunt.discarded,
                        error: hunt.first_error,
                    });
                }
                let found = hunt.frame.is_some();
                if !found && consumed == 0 && self.len == MAX_FRAME_LEN {
                    // Cannot happen (a frame is at most this long), but never stall.
                    on_item(Received::Discarded {
                        bytes: self.len,
                        error: None,
                    });
                    self.len = 0;
                    break;
                }
                if let Some((frame, _)) = hunt.frame {
                    on_item(Received::Frame(frame));
                }
                self.buf.copy_within(consumed.min(self.len)..self.len, 0);
                self.len -= consumed.min(self.len);
                if !found || self.len == 0 {
                    break;
                }
            }
            if data.is_empty() {
                break;
            }
        }
    }
}
