//! Pixel buffers kept by each thread for its next image.
//!
//! A fresh buffer of many megabytes costs a page fault per 4 KiB page the first time it is written (the kernel
//! maps and zeroes each page), and the allocator hands such buffers back to the kernel when they are freed, so
//! every photo of a batch paid for its decode buffer, its resampler's scratch and its output again: about a
//! tenth of the CPU time of a photo ingest (issue 21, `bench/ingest-large.sh`). Buffers given back here are
//! kept, a few per thread and up to [`MAX_KEPT_BYTES`] in all, and the next image of about the same size
//! reuses their pages. Contents of a buffer taken are unspecified (old pixels); callers overwrite them.

use std::cell::RefCell;

/// Most bytes of buffers one thread keeps (a 24 MP capture's half-size decode, its resampler scratch and its
/// 2048 px display together are 40 MB).
pub const MAX_KEPT_BYTES: usize = 64 << 20;
/// Buffers smaller than this are left to the allocator, which reuses them without the kernel.
const MIN_KEPT_BYTES: usize = 1 << 20;
/// Buffers kept per thread.
const MAX_KEPT: usize = 4;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of exactly `len` bytes, from those this thread kept when one is large enough (the smallest such),
/// else a new one; always a new one below 1 MiB, which the allocator serves well. The contents are unspecified.
pub fn take(len: usize) -> Vec<u8> {
    if len < MIN_KEPT_BYTES {
        return vec![0; len];
    }
    let kept = SPARE.with_borrow_mut(|spare| {
        let fits = spare
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= len)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i);
        fits.map(|i| spare.swap_remove(i))
    });
    match kept {
        Some(mut buffer) => {
            if buffer.len() >= len {
                buffer.truncate(len);
            } else {
                buffer.resize(len, 0);
            }
            buffer
        }
        None => vec![0; len],
    }
}

/// Keeps `buffer` for this thread's next [`take`] when it is worth keeping (at least 1 MiB) and fits within
/// [`MAX_KEPT_BYTES`] with the others (the smallest ones are let go first); otherwise frees it.
pub fn give_back(mut buffer: Vec<u8>) {
    let capacity = buffer.capacity();
    if !(MIN_KEPT_BYTES..=MAX_KEPT_BYTES).contains(&capacity) {
        return;
    }
    // The whole capacity counts as written from now on, so a later `take` of any size up to it writes nothing.
    buffer.resize(capacity, 0);
    SPARE.with_borrow_mut(|spare| {
        spare.push(buffer);
        spare.sort_by_key(|b| std::cmp::Reverse(b.capacity()));
        let mut total = 0;
        spare.retain(|b| {
            total += b.capacity();
            total <= MAX_KEPT_BYTES
        });
        spare.truncate(MAX_KEPT);
    });
}

/// Bytes this thread keeps now.
pub fn kept_bytes() -> usize {
    SPARE.with_borrow(|spare| spare.iter().map(Vec::capacity).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_without_a_new_allocation() {
        let first = take(3 << 20);
        assert_eq!(first.len(), 3 << 20);
        let address = first.as_ptr();
        give_back(first);
        assert!(kept_bytes() >= 3 << 20);
        // A smaller request reuses the same memory, truncated to the length asked for.
        let again = take(2 << 20);
        assert_eq!((again.as_ptr(), again.len()), (address, 2 << 20));
        assert_eq!(kept_bytes(), 0);
        give_back(again);
        // Larger than anything kept: a new buffer, the kept one stays.
        let bigger = take(5 << 20);
        assert_eq!(bigger.len(), 5 << 20);
        assert_ne!(bigger.as_ptr(), address);
        assert!(kept_bytes() >= 3 << 20);
    }

    #[test]
    fn small_and_huge_buffers_and_the_excess_are_not_kept() {
        std::thread::spawn(|| {
            give_back(vec![0; 1000]);
            give_back(vec![0; MAX_KEPT_BYTES + 1]);
            assert_eq!(kept_bytes(), 0);
            for _ in 0..3 {
                give_back(vec![0; 30 << 20]);
            }
            // Two of 30 MB fit within 64 MB; the third is let go.
            assert_eq!(kept_bytes(), 60 << 20);
            for _ in 0..6 {
                give_back(vec![0; 2 << 20]);
            }
            assert!(kept_bytes() <= MAX_KEPT_BYTES);
            assert!(SPARE.with_borrow(Vec::len) <= MAX_KEPT);
        })
        .join()
        .unwrap();
    }
}
