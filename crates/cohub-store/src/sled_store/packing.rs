//! How an envelope's bytes are kept in the `events` tree: its canonical JSON, compressed with
//! zstd, one frame per event. A store written before compression holds plain JSON, read as it
//! is: a zstd frame starts with a magic number, and no JSON text starts with those bytes.
//!
//! The hash chain covers the canonical JSON, never the stored bytes, so how they are packed
//! changes nothing that `verify` proves.

use std::borrow::Cow;
use std::cell::RefCell;

/// The zstd level: the fastest, which packs an envelope about as small as level 3 does (most
/// of an envelope is ids and hashes, which no level shrinks).
pub(crate) const LEVEL: i32 = 1;

/// The first four bytes of every zstd frame.
const MAGIC: [u8; 4] = 0xFD2F_B528u32.to_le_bytes();

/// The most a stored frame may say it expands to: more is damage, not an envelope.
const MAX_UNPACKED: u64 = 64 << 20;

thread_local! {
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

/// The bytes to store for an envelope's canonical JSON `json`.
pub(crate) fn pack(json: &[u8]) -> Vec<u8> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = match slot.as_mut() {
            Some(c) => c,
            None => slot.insert(zstd::bulk::Compressor::new(LEVEL).expect("zstd compressor")),
        };
        compressor
            .compress(json)
            .expect("zstd compresses any input into a buffer of its bound")
    })
}

/// The canonical JSON an envelope was stored as, or why the stored bytes are not a frame that
/// expands to it.
pub(crate) fn unpack(stored: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    if !stored.starts_with(&MAGIC) {
        return Ok(Cow::Borrowed(stored));
    }
    let size = match zstd::zstd_safe::get_frame_content_size(stored) {
        Ok(Some(size)) if size <= MAX_UNPACKED => size as usize,
        Ok(Some(size)) => return Err(format!("its frame claims {size} bytes")),
        Ok(None) => return Err("its frame does not say its size".into()),
        Err(_) => return Err("its frame header is damaged".into()),
    };
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let decompressor = match slot.as_mut() {
            Some(d) => d,
            None => slot.insert(
                zstd::bulk::Decompressor::new().map_err(|e| format!("cannot start zstd: {e}"))?,
            ),
        };
        let mut out = Vec::with_capacity(size);
        let written = decompressor
            .decompress_to_buffer(stored, &mut out)
            .map_err(|e| format!("its frame does not decompress: {e}"))?;
        if written != size {
            return Err(format!("its frame expands to {written} bytes, not {size}"));
        }
        Ok(Cow::Owned(out))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_json_unpacks_to_itself_and_plain_json_is_read_as_it_is() {
        let json = br#"{"a":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","b":[1,2,3]}"#;
        let packed = pack(json);
        assert!(packed.starts_with(&MAGIC));
        assert!(packed.len() < json.len());
        assert_eq!(&*unpack(&packed).unwrap(), &json[..]);
        assert!(matches!(unpack(json).unwrap(), Cow::Borrowed(b) if b == json));
    }

    #[test]
    fn damaged_frames_are_refused_in_words() {
        let json = br#"{"text":"the same words again and again and again and again"}"#;
        let packed = pack(json);
        let mut cut = packed.clone();
        cut.truncate(packed.len() - 3);
        assert!(unpack(&cut).is_err());
        let mut flipped = packed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xFF;
        // A changed byte either fails to decompress or expands to other bytes.
        assert_ne!(unpack(&flipped).ok().as_deref(), Some(&json[..]));
        assert!(unpack(&MAGIC).is_err(), "a bare magic number");
    }
}
