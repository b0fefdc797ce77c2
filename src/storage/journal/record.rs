//! The records of the journal and their binary encoding.
//!
//! A frame on disk is `len(u32 le) crc32(u32 le) payload`, the CRC covering the payload
//! (see `mod.rs` and `replay.rs`). A payload is a tag byte followed by the record's
//! fields: strings and byte strings carry a `u32` length, numbers are little-endian.
//! Decoding never panics: a payload that does not parse is reported like a CRC mismatch.

/// Where a message body lives: inside an earlier record (an event of an `Events`
/// record), or inline in the `Enqueue` record itself (relocated messages, bodies that
/// were never an event such as dead-lettered deliveries).
///
/// An earlier record is named by its distance back from the start of the `Enqueue`
/// frame, so a batch can be encoded before the writer knows where it will land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body<'a> {
    /// `len` bytes starting `back` bytes before this record's frame.
    Back { back: u64, len: u32 },
    /// The bytes themselves.
    Inline(&'a [u8]),
}

/// One journal record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record<'a> {
    /// Accepted events of one bus, one serialised envelope per line.
    Events { bus: &'a str, lines: &'a [u8] },
    /// A message with its whole state: a new message, or one rewritten by compaction.
    /// A later record for the same `seq` replaces it.
    Enqueue {
        queue: &'a str,
        seq: u64,
        visible_at: u64,
        receive_count: u32,
        enqueued_at: u64,
        attributes: &'a [u8],
        body: Body<'a>,
    },
    /// A receive: the message is invisible until `visible_at`, received `receive_count` times.
    Receive { queue: &'a str, seq: u64, visible_at: u64, receive_count: u32 },
    /// An acknowledgement or an expiry.
    Delete { queue: &'a str, seq: u64 },
    /// A redrive to a dead-letter queue: the message leaves `from` and is visible in `to`
    /// at `visible_at`, with its receive count reset.
    Move { from: &'a str, to: &'a str, seq: u64, visible_at: u64 },
    /// Every message of a queue is gone (the queue was deleted).
    DropQueue { queue: &'a str },
}

const EVENTS: u8 = 1;
const ENQUEUE: u8 = 2;
const RECEIVE: u8 = 3;
const DELETE: u8 = 4;
const MOVE: u8 = 5;
const DROP_QUEUE: u8 = 6;

const BODY_BACK: u8 = 0;
const BODY_INLINE: u8 = 1;

impl Record<'_> {
    /// Appends the payload to `out`. When the record carries bytes that a message may
    /// later point at (event lines, inline bodies), returns their offset in the payload.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Option<usize> {
        let start = out.len();
        let mut w = Writer(out);
        match self {
            Self::Events { bus, lines } => {
                w.u8(EVENTS);
                w.str(bus);
                w.u32(len32(lines.len()));
                let at = w.0.len() - start;
                w.0.extend_from_slice(lines);
                Some(at)
            }
            Self::Enqueue { queue, seq, visible_at, receive_count, enqueued_at, attributes, body } => {
                w.u8(ENQUEUE);
                w.str(queue);
                w.u64(*seq);
                w.u64(*visible_at);
                w.u32(*receive_count);
                w.u64(*enqueued_at);
                w.bytes(attributes);
                match body {
                    Body::Back { back, len } => {
                        w.u8(BODY_BACK);
                        w.u64(*back);
                        w.u32(*len);
                        None
                    }
                    Body::Inline(bytes) => {
                        w.u8(BODY_INLINE);
                        w.u32(len32(bytes.len()));
                        let at = w.0.len() - start;
                        w.0.extend_from_slice(bytes);
                        Some(at)
                    }
                }
            }
            Self::Receive { queue, seq, visible_at, receive_count } => {
                w.u8(RECEIVE);
                w.str(queue);
                w.u64(*seq);
                w.u64(*visible_at);
                w.u32(*receive_count);
                None
            }
            Self::Delete { queue, seq } => {
                w.u8(DELETE);
                w.str(queue);
                w.u64(*seq);
                None
            }
            Self::Move { from, to, seq, visible_at } => {
                w.u8(MOVE);
                w.str(from);
                w.str(to);
                w.u64(*seq);
                w.u64(*visible_at);
                None
            }
            Self::DropQueue { queue } => {
                w.u8(DROP_QUEUE);
                w.str(queue);
                None
            }
        }
    }
}

/// Decodes a payload, with the offset in it of the bytes messages may point at (see
/// [`Record::encode`]). `None` when the payload is not a record of this format.
pub(crate) fn decode(payload: &[u8]) -> Option<(Record<'_>, Option<usize>)> {
    let mut r = Reader { buf: payload, at: 0 };
    let record = match r.u8()? {
        EVENTS => {
            let bus = r.str()?;
            let len = r.u32()? as usize;
            let at = r.at;
            let lines = r.take(len)?;
            return r.done().then_some((Record::Events { bus, lines }, Some(at)));
        }
        ENQUEUE => {
            let queue = r.str()?;
            let seq = r.u64()?;
            let visible_at = r.u64()?;
            let receive_count = r.u32()?;
            let enqueued_at = r.u64()?;
            let attributes = r.bytes()?;
            let (body, at) = match r.u8()? {
                BODY_BACK => (Body::Back { back: r.u64()?, len: r.u32()? }, None),
                BODY_INLINE => {
                    let len = r.u32()? as usize;
                    let at = r.at;
                    (Body::Inline(r.take(len)?), Some(at))
                }
                _ => return None,
            };
            let record =
                Record::Enqueue { queue, seq, visible_at, receive_count, enqueued_at, attributes, body };
            return r.done().then_some((record, at));
        }
        RECEIVE => {
            Record::Receive { queue: r.str()?, seq: r.u64()?, visible_at: r.u64()?, receive_count: r.u32()? }
        }
        DELETE => Record::Delete { queue: r.str()?, seq: r.u64()? },
        MOVE => Record::Move { from: r.str()?, to: r.str()?, seq: r.u64()?, visible_at: r.u64()? },
        DROP_QUEUE => Record::DropQueue { queue: r.str()? },
        _ => return None,
    };
    r.done().then_some((record, None))
}

/// Lengths are bounded by the request and message limits, far below 4 GiB.
pub(crate) fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.u32(len32(v.len()));
        self.0.extend_from_slice(v);
    }
    fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.buf.get(self.at..end)?;
        self.at = end;
        Some(out)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }
    fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
    fn done(&self) -> bool {
        self.at == self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(record: &Record<'_>) {
        let mut out = Vec::new();
        let at = record.encode(&mut out);
        let (back, back_at) = decode(&out).expect("decodes");
        assert_eq!(&back, record);
        assert_eq!(back_at, at);
        // Every strict prefix is refused, never misread.
        for cut in 0..out.len() {
            assert!(decode(&out[..cut]).is_none(), "prefix of {cut} bytes decoded");
        }
    }

    #[test]
    fn every_record_round_trips() {
        round_trip(&Record::Events { bus: "orders", lines: b"{\"a\":1}\n{\"b\":2}\n" });
        round_trip(&Record::Enqueue {
            queue: "q",
            seq: 7,
            visible_at: 8,
            receive_count: 2,
            enqueued_at: 5,
            attributes: b"{}",
            body: Body::Back { back: 1 << 40, len: 99 },
        });
        round_trip(&Record::Enqueue {
            queue: "q",
            seq: 7,
            visible_at: 8,
            receive_count: 0,
            enqueued_at: 5,
            attributes: b"",
            body: Body::Inline(b"{\"x\":true}"),
        });
        round_trip(&Record::Receive { queue: "q", seq: 1, visible_at: 2, receive_count: 3 });
        round_trip(&Record::Delete { queue: "q", seq: 1 });
        round_trip(&Record::Move { from: "q", to: "dlq", seq: 1, visible_at: 4 });
        round_trip(&Record::DropQueue { queue: "q" });
    }

    #[test]
    fn inline_offsets_point_at_the_bytes() {
        let mut out = vec![0xAA; 3]; // a payload need not start the buffer
        let at = Record::Events { bus: "b", lines: b"hello" }.encode(&mut out).expect("offset");
        assert_eq!(&out[3 + at..3 + at + 5], b"hello");
    }

    #[test]
    fn garbage_is_refused() {
        assert!(decode(&[]).is_none());
        assert!(decode(&[99, 1, 2]).is_none());
        assert!(decode(&[DELETE, 255, 255, 255, 255]).is_none());
    }
}
