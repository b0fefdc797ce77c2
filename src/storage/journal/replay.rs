//! Reading a segment back at start: its whole frames, in order, a chunk at a time.
//!
//! Why in chunks: a segment is preallocated at its full size (64 MiB by default, up to
//! what `--journal-segment-mb` allows), and reading it whole took that much memory for
//! every start, which the allocator then kept. A chunk of [`CHUNK`] bytes (more only for
//! a larger frame) bounds what replay holds, whatever the segment size. One exception: a
//! torn header at the end of the last segment may announce any length up to the rest of
//! the file, and is read that far once before it is found invalid (as the whole-file
//! read did).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::{FRAME_HEADER, Replayed, record};

/// Bytes read at a time.
pub(super) const CHUNK: usize = 1 << 20;

/// What [`replay_file`] found in one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Scanned {
    /// Bytes covered by whole frames, from the segment's start.
    pub whole: u64,
    /// The file's length (its preallocated size).
    pub len: u64,
    /// Whether every byte after the whole frames is zero (preallocation), rather than a
    /// torn or damaged frame.
    pub clean_tail: bool,
}

/// Visits the whole frames of the segment in `file`, whose first byte is at global
/// position `start`, reading `chunk` bytes at a time.
pub(super) fn replay_file(
    file: &File,
    start: u64,
    chunk: usize,
    visit: &mut impl FnMut(Replayed<'_>),
) -> io::Result<Scanned> {
    let len = file.metadata()?.len();
    let chunk = chunk.max(FRAME_HEADER);
    // `buf` holds the file's bytes from `whole` on that were read but not yet visited.
    let mut buf: Vec<u8> = Vec::with_capacity(chunk.min(usize::try_from(len).unwrap_or(usize::MAX)));
    let mut whole = 0u64;
    loop {
        let read_to = whole + buf.len() as u64;
        let wanted = frame_end(&buf).map_or(chunk, |end| end.saturating_sub(buf.len()).max(chunk));
        let got = read_at_most(file, &mut buf, read_to, wanted, len)?;
        let visited = replay_frames(start + whole, &buf, visit);
        whole += visited as u64;
        buf.drain(..visited);
        // Stop where the frames stop: at the end of the file, or at a frame that is
        // complete in `buf` (or could never be) and yet not valid.
        let stuck = frame_end(&buf).is_some_and(|end| end <= buf.len() || whole + end as u64 > len);
        if got == 0 || stuck {
            break;
        }
    }
    let clean_tail = zeros_from(file, whole, buf, chunk, len)?;
    Ok(Scanned { whole, len, clean_tail })
}

/// Where the frame at the start of `bytes` ends, if its header is there.
fn frame_end(bytes: &[u8]) -> Option<usize> {
    let header = bytes.get(..FRAME_HEADER)?;
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    Some(FRAME_HEADER + len)
}

/// Appends up to `wanted` bytes of `file` from position `at` (never past `len`) to `buf`;
/// returns how many.
fn read_at_most(file: &File, buf: &mut Vec<u8>, at: u64, wanted: usize, len: u64) -> io::Result<usize> {
    let room = usize::try_from(len.saturating_sub(at)).unwrap_or(usize::MAX).min(wanted);
    let old = buf.len();
    buf.resize(old + room, 0);
    let mut filled = 0;
    while filled < room {
        match file.read_at(&mut buf[old + filled..], at + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(old + filled);
    Ok(filled)
}

/// Whether every byte of the file from `whole` on is zero; `buf` holds its first bytes
/// (and is then reused to read the rest, `chunk` bytes at a time).
fn zeros_from(file: &File, whole: u64, mut buf: Vec<u8>, chunk: usize, len: u64) -> io::Result<bool> {
    let mut at = whole;
    loop {
        if buf.iter().any(|b| *b != 0) {
            return Ok(false);
        }
        at += buf.len() as u64;
        buf.clear();
        if read_at_most(file, &mut buf, at, chunk, len)? == 0 {
            return Ok(true);
        }
    }
}

/// The position in the segment of the first whole, valid frame after the damaged or torn
/// one at `whole`, if any: there is one when bytes in the middle of the segment are
/// damaged (the frames after it were written, and perhaps acknowledged), and none after
/// a torn write at its end (a write cut short leaves only zeros after it). Reads the rest
/// of the file once (only when a segment does not end cleanly); tries every offset, but
/// checks a CRC only where the length read there fits in the file.
pub(super) fn whole_frame_after(file: &File, whole: u64, len: u64) -> io::Result<Option<u64>> {
    let mut rest = Vec::new();
    read_at_most(file, &mut rest, whole, usize::try_from(len - whole).unwrap_or(usize::MAX), len)?;
    let valid_at = |at: usize| {
        let Some(end) = frame_end(&rest[at..]) else { return false };
        end > FRAME_HEADER && replay_frames(0, &rest[at..(at + end).min(rest.len())], &mut |_| {}) == end
    };
    // The frame after the damaged one, if its header is intact; else any offset.
    let next = frame_end(&rest).filter(|end| *end < rest.len() && valid_at(*end));
    Ok(next.or_else(|| (1..rest.len()).find(|at| valid_at(*at))).map(|at| whole + at as u64))
}

/// Visits the whole frames at the start of `bytes` (which begin at global position
/// `start`); returns how many bytes they cover.
fn replay_frames(start: u64, bytes: &[u8], visit: &mut impl FnMut(Replayed<'_>)) -> usize {
    let mut at = 0;
    while let Some(end) = frame_end(&bytes[at..]) {
        let crc = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
        let Some(payload) = bytes.get(at + FRAME_HEADER..at + end) else { break };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Some((record, carried)) = record::decode(payload) else { break };
        let frame = start + at as u64;
        visit(Replayed { frame, carried: carried.map(|c| frame + (FRAME_HEADER + c) as u64), record });
        at += end;
    }
    at
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::super::{Batch, Record};
    use super::*;

    /// A segment file: frames of events of varied sizes, then `zeros` bytes of
    /// preallocation; returns it with the bytes the frames cover.
    fn segment(zeros: usize) -> (tempfile::NamedTempFile, u64) {
        let mut batch = Batch::default();
        for i in 0..40 {
            let line = format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(i * 37 % 300));
            batch.push(&Record::Events { bus: "b", lines: line.as_bytes() });
        }
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(&batch.buf).expect("frames written");
        file.write_all(&vec![0; zeros]).expect("zeros written");
        (file, batch.buf.len() as u64)
    }

    /// (frame position, event lines) of every record replayed.
    fn replay(file: &File, chunk: usize) -> (Vec<(u64, String)>, Scanned) {
        let mut seen = Vec::new();
        let scanned = replay_file(file, 1000, chunk, &mut |r| {
            if let Record::Events { lines, .. } = r.record {
                seen.push((r.frame, String::from_utf8_lossy(lines).into_owned()));
            }
        })
        .expect("replayed");
        (seen, scanned)
    }

    #[test]
    fn any_chunk_size_replays_the_same_frames() {
        let (file, frames) = segment(5000);
        let (whole_read, scanned) = replay(file.as_file(), usize::MAX / 2);
        assert_eq!(whole_read.len(), 40);
        assert_eq!(scanned, Scanned { whole: frames, len: frames + 5000, clean_tail: true });
        assert_eq!(whole_read[0].0, 1000, "positions are global");
        // Chunks smaller than a header, than a frame, and cutting frames anywhere.
        for chunk in [1, 8, 13, 100, 333, 4096] {
            assert_eq!(replay(file.as_file(), chunk), (whole_read.clone(), scanned.clone()), "chunk {chunk}");
        }
    }

    #[test]
    fn a_torn_frame_ends_the_replay_and_dirties_the_tail() {
        let (file, frames) = segment(0);
        let (all, _) = replay(file.as_file(), CHUNK);
        // Cut the last frame short, then preallocation zeros after it.
        file.as_file().set_len(frames - 3).expect("cut");
        file.as_file().set_len(frames + 3000).expect("zeros");
        for chunk in [7, 64, CHUNK] {
            let (seen, scanned) = replay(file.as_file(), chunk);
            assert_eq!(seen, all[..39], "chunk {chunk}");
            assert_eq!(scanned.whole, all[39].0 - 1000, "the torn frame's start, chunk {chunk}");
            assert!(!scanned.clean_tail, "chunk {chunk}");
        }
    }

    #[test]
    fn a_damaged_frame_mid_segment_ends_the_replay_there_for_any_chunk() {
        let (file, frames) = segment(2000);
        let (all, _) = replay(file.as_file(), CHUNK);
        // Flip a payload byte of the 21st frame (its header is 8 bytes before the payload).
        let at = all[20].0 - 1000 + 12;
        file.as_file().write_at(b"#", at).expect("damage");
        for chunk in [1, 13, 100, 4096, CHUNK] {
            let (seen, scanned) = replay(file.as_file(), chunk);
            assert_eq!(seen, all[..20], "chunk {chunk}");
            assert_eq!(scanned.whole, all[20].0 - 1000, "chunk {chunk}");
            assert!(!scanned.clean_tail, "chunk {chunk}");
            assert!(scanned.whole < frames);
        }
    }

    #[test]
    fn a_stray_byte_far_into_the_zeros_is_not_a_clean_tail() {
        let (file, frames) = segment(10_000);
        file.as_file().write_at(&[1], frames + 9_000).expect("stray byte");
        let (seen, scanned) = replay(file.as_file(), 256);
        assert_eq!(seen.len(), 40);
        assert_eq!(scanned.whole, frames);
        assert!(!scanned.clean_tail);
    }

    #[test]
    fn a_header_longer_than_the_file_is_a_torn_frame() {
        let (file, frames) = segment(0);
        // A header announcing 4 GiB, as a torn write could leave.
        file.as_file().write_at(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4], frames).expect("header");
        let (seen, scanned) = replay(file.as_file(), 64);
        assert_eq!(seen.len(), 40);
        assert_eq!(scanned.whole, frames);
        assert!(!scanned.clean_tail);
    }
}
