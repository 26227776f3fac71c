//! A git pack written directly: the objects of a large commit, deflated on
//! every core, with its version 2 index (`gitformat-pack(5)`).
//!
//! libgit2's pack builder searches a window of candidates for a delta of
//! every object, holding each one in memory: for a first commit of a
//! hundred thousand manifests that search took most of the commit and more
//! than a gibibyte. fleetc knows which of its files are alike without
//! searching: the same file name in every cluster's folder (an app's
//! Application, a team's namespace). So the blobs go by name, each a delta
//! against a full one a few clusters before it (one step deep, so reading
//! any is one delta away), or whole where a delta would save little. At
//! 116,680 Applications the pack is about a quarter of the files' size,
//! near what the delta search made, in a fraction of its time.
//!
//! The pack and its index are assembled in a folder of the git directory,
//! then renamed into `objects/pack/`, the index last: git and libgit2 see a
//! pack only once its index is there, so the branch can never point into
//! half a pack.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid};
use sha1::{Digest, Sha1};

use crate::base::error::{Error, Result};
use crate::render::tree::hex;

/// One object of the pack: its id, its type and its bytes.
pub(crate) type Object<'a> = (Oid, ObjectType, &'a [u8]);

/// How many objects of one name may share a base (the first of them is
/// stored whole).
const RUN: usize = 32;

/// Writes `objects` (distinct ids; blobs with the path they were written
/// at, for choosing delta bases) as one pack with its index into `work`,
/// then moves both into `packs`.
pub(crate) fn write(
    work: &Path,
    packs: &Path,
    objects: &[Object<'_>],
    names: &[&str],
) -> Result<()> {
    use rayon::prelude::*;
    // The order of the pack: by file name, then path; a delta's base comes
    // before it, as readers of a pack stream expect.
    let mut order: Vec<usize> = (0..objects.len()).collect();
    let name_of = |i: usize| {
        let path = names.get(i).copied().unwrap_or("");
        (path.rsplit('/').next().unwrap_or(path), path)
    };
    order.sort_by(|&a, &b| name_of(a).cmp(&name_of(b)));
    // The runs: each a base stored whole, and up to RUN - 1 blobs of the
    // same name after it, stored as deltas against it.
    let mut runs: Vec<(usize, Vec<usize>)> = Vec::new();
    for &i in &order {
        let joins = runs.last_mut().filter(|(head, members)| {
            members.len() + 1 < RUN
                && name_of(*head).0 == name_of(i).0
                && objects[*head].1 == ObjectType::Blob
                && objects[i].1 == ObjectType::Blob
        });
        match joins {
            Some((_, members)) => members.push(i),
            None => runs.push((i, Vec::new())),
        }
    }
    // Each object's entry: its header and its deflated bytes (a delta's,
    // when that is less than two thirds of the whole), run by run in
    // parallel, in pack order.
    let fresh = || flate2::Compress::new(flate2::Compression::fast(), true);
    let entries: Vec<Vec<(usize, Vec<u8>)>> = runs
        .par_iter()
        .map_init(fresh, |z, (head, members)| {
            let (_, kind, bytes) = objects[*head];
            let mut out = vec![(*head, entry(z, kind, bytes)?)];
            let index = (!members.is_empty()).then(|| Index::new(bytes));
            for &i in members {
                let target = objects[i].2;
                let d = index.as_ref().map(|x| x.delta(bytes, target));
                let e = match d {
                    Some(d) if d.len() * 3 < target.len() * 2 => {
                        delta_entry(z, objects[*head].0, &d)?
                    }
                    _ => entry(z, objects[i].1, target)?,
                };
                out.push((i, e));
            }
            Ok(out)
        })
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(work, e))?;
    let entries: Vec<(usize, Vec<u8>)> = entries.into_iter().flatten().collect();
    let mut pack = Sha1::new();
    let tmp_pack = work.join("tmp.pack");
    let mut out = std::io::BufWriter::with_capacity(
        1 << 20,
        fs::File::create(&tmp_pack).map_err(|e| Error::io(&tmp_pack, e))?,
    );
    let count = u32::try_from(objects.len())
        .map_err(|_| Error::Usage("more than 4 billion objects in one commit".to_string()))?;
    let mut head = Vec::with_capacity(12);
    head.extend_from_slice(b"PACK");
    head.extend_from_slice(&2u32.to_be_bytes());
    head.extend_from_slice(&count.to_be_bytes());
    out.write_all(&head).map_err(|e| Error::io(&tmp_pack, e))?;
    pack.update(&head);
    let mut offset = head.len() as u64;
    let mut index: Vec<(Oid, u32, u64)> = Vec::with_capacity(objects.len());
    for (i, bytes) in &entries {
        let oid = &objects[*i].0;
        out.write_all(bytes).map_err(|e| Error::io(&tmp_pack, e))?;
        pack.update(bytes);
        let mut crc = flate2::Crc::new();
        crc.update(bytes);
        index.push((*oid, crc.sum(), offset));
        offset += bytes.len() as u64;
    }
    drop(entries);
    let sum: [u8; 20] = pack.finalize().into();
    out.write_all(&sum).map_err(|e| Error::io(&tmp_pack, e))?;
    let file = out
        .into_inner()
        .map_err(|e| Error::io(&tmp_pack, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(&tmp_pack, e))?;
    drop(file);

    index.sort_unstable_by_key(|e| e.0);
    let idx = index_bytes(&index, &sum);
    let tmp_idx = work.join("tmp.idx");
    let mut f = fs::File::create(&tmp_idx).map_err(|e| Error::io(&tmp_idx, e))?;
    f.write_all(&idx).map_err(|e| Error::io(&tmp_idx, e))?;
    f.sync_all().map_err(|e| Error::io(&tmp_idx, e))?;
    drop(f);

    let name = format!("pack-{}", hex(&sum));
    let moves: [(PathBuf, PathBuf); 2] = [
        (tmp_pack, packs.join(format!("{name}.pack"))),
        (tmp_idx, packs.join(format!("{name}.idx"))),
    ];
    for (from, to) in &moves {
        fs::rename(from, to).map_err(|e| Error::io(to, e))?;
    }
    Ok(())
}

/// An object's entry in a pack: the type and size header, then the
/// object deflated (zlib, the fastest level: the pack is written once and
/// read by every clone, and level 1 is within a few percent of the
/// default's size on YAML at a fraction of its time).
fn entry(z: &mut flate2::Compress, kind: ObjectType, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let code: u8 = match kind {
        ObjectType::Commit => 1,
        ObjectType::Tree => 2,
        ObjectType::Blob => 3,
        _ => 4,
    };
    let mut out = Vec::with_capacity(bytes.len() / 3 + 32);
    push_header(&mut out, code, bytes.len());
    deflated(z, out, bytes)
}

/// A delta's entry: `REF_DELTA` (type 7) naming its base by id.
fn delta_entry(z: &mut flate2::Compress, base: Oid, delta: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(delta.len() / 2 + 48);
    push_header(&mut out, 7, delta.len());
    out.extend_from_slice(base.as_bytes());
    deflated(z, out, delta)
}

/// An entry's header: the type, then the size, 4 bits and then 7 a byte.
fn push_header(out: &mut Vec<u8>, code: u8, size: usize) {
    let mut size = size as u64;
    let mut byte = (code << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size > 0 {
        out.push(byte | 0x80);
        byte = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(byte);
}

/// `bytes` deflated onto `out`, by a compressor reset for it (one per
/// thread: setting one up afresh for each of 200,000 small objects was a
/// quarter of the commit, in zeroed pages).
fn deflated(z: &mut flate2::Compress, mut out: Vec<u8>, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    z.reset();
    out.reserve(bytes.len() + bytes.len() / 8 + 64);
    loop {
        let read = z.total_in() as usize;
        let status = z
            .compress_vec(&bytes[read..], &mut out, flate2::FlushCompress::Finish)
            .map_err(std::io::Error::other)?;
        if status == flate2::Status::StreamEnd {
            return Ok(out);
        }
        out.reserve(out.capacity().max(64));
    }
}

/// How long a match must be to be copied from the base.
const BLOCK: usize = 16;

/// Where each BLOCK-byte window of a base starts (the first), by its
/// rolling hash: built once for every delta against that base.
struct Index(std::collections::HashMap<u64, u32, std::hash::BuildHasherDefault<Unhashed>>);

/// The keys are hashes already.
#[derive(Default)]
struct Unhashed(u64);

impl std::hash::Hasher for Unhashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Index {
    fn new(base: &[u8]) -> Index {
        let mut at = std::collections::HashMap::with_capacity_and_hasher(
            base.len(),
            std::hash::BuildHasherDefault::default(),
        );
        if base.len() >= BLOCK {
            let mut h = Rolling::new(&base[..BLOCK]);
            for i in 0..=base.len() - BLOCK {
                if i > 0 {
                    h.roll(base[i - 1], base[i + BLOCK - 1]);
                }
                at.entry(h.hash).or_insert(i as u32);
            }
        }
        Index(at)
    }

    /// A git delta that makes `target` from `base` (this index's): the
    /// two sizes, then copies from the base and inserts of new bytes.
    /// Each match of a window is grown both ways.
    fn delta(&self, base: &[u8], target: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(target.len() / 4 + 16);
        push_varint(&mut out, base.len());
        push_varint(&mut out, target.len());
        if base.len() < BLOCK || target.len() < BLOCK {
            push_insert(&mut out, target);
            return out;
        }
        let mut lit = 0; // where the pending insert starts
        let mut j = 0;
        let mut h = Rolling::new(&target[..BLOCK]);
        while j + BLOCK <= target.len() {
            let found = self
                .0
                .get(&h.hash)
                .map(|&i| i as usize)
                .filter(|&i| base[i..i + BLOCK] == target[j..j + BLOCK]);
            let Some(mut i) = found else {
                j += 1;
                if j + BLOCK <= target.len() {
                    h.roll(target[j - 1], target[j + BLOCK - 1]);
                }
                continue;
            };
            let mut start = j;
            while start > lit && i > 0 && base[i - 1] == target[start - 1] {
                start -= 1;
                i -= 1;
            }
            let mut len = j + BLOCK - start;
            while start + len < target.len()
                && i + len < base.len()
                && base[i + len] == target[start + len]
            {
                len += 1;
            }
            push_insert(&mut out, &target[lit..start]);
            push_copy(&mut out, i, len);
            j = start + len;
            lit = j;
            if j + BLOCK <= target.len() {
                h = Rolling::new(&target[j..j + BLOCK]);
            }
        }
        push_insert(&mut out, &target[lit..]);
        out
    }
}

/// A polynomial rolling hash of a window of BLOCK bytes.
struct Rolling {
    hash: u64,
}

const PRIME: u64 = 1_000_000_007;
/// PRIME to the power BLOCK - 1: the weight of a window's first byte.
const TOP: u64 = {
    let mut p = 1u64;
    let mut k = 0;
    while k < BLOCK - 1 {
        p = p.wrapping_mul(PRIME);
        k += 1;
    }
    p
};

impl Rolling {
    fn new(window: &[u8]) -> Rolling {
        Rolling {
            hash: window.iter().fold(0u64, |h, &b| {
                h.wrapping_mul(PRIME).wrapping_add(u64::from(b))
            }),
        }
    }

    /// Drops `out` from the front of the window and takes `inn` at its end.
    fn roll(&mut self, out: u8, inn: u8) {
        self.hash = self
            .hash
            .wrapping_sub(u64::from(out).wrapping_mul(TOP))
            .wrapping_mul(PRIME)
            .wrapping_add(u64::from(inn));
    }
}

/// A size in a delta's header: 7 bits a byte, low first.
fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Insert instructions for `bytes` (at most 127 a time).
fn push_insert(out: &mut Vec<u8>, bytes: &[u8]) {
    for chunk in bytes.chunks(0x7f) {
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
}

/// Copy instructions: `len` bytes of the base from `offset` (at most
/// 0xffffff a time; the offset in 4 bytes, the size in 3, zero bytes left
/// out).
fn push_copy(out: &mut Vec<u8>, mut offset: usize, mut len: usize) {
    while len > 0 {
        let n = len.min(0x00ff_ffff);
        let mut op = 0x80u8;
        let mut args = Vec::with_capacity(7);
        for k in 0..4 {
            let b = (offset >> (8 * k)) as u8;
            if b != 0 {
                op |= 1 << k;
                args.push(b);
            }
        }
        for k in 0..3 {
            let b = (n >> (8 * k)) as u8;
            if b != 0 {
                op |= 1 << (4 + k);
                args.push(b);
            }
        }
        out.push(op);
        out.extend_from_slice(&args);
        offset += n;
        len -= n;
    }
}

/// The version 2 index of a pack whose objects are `index` (id, CRC-32 of
/// the entry, offset), sorted by id, and whose checksum is `pack`.
fn index_bytes(index: &[(Oid, u32, u64)], pack: &[u8; 20]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 1024 + index.len() * 32 + 40);
    out.extend_from_slice(&[0xff, b't', b'O', b'c']);
    out.extend_from_slice(&2u32.to_be_bytes());
    let mut fanout = [0u32; 256];
    for (oid, _, _) in index {
        fanout[usize::from(oid.as_bytes()[0])] += 1;
    }
    let mut total = 0u32;
    for n in fanout {
        total += n;
        out.extend_from_slice(&total.to_be_bytes());
    }
    for (oid, _, _) in index {
        out.extend_from_slice(oid.as_bytes());
    }
    for (_, crc, _) in index {
        out.extend_from_slice(&crc.to_be_bytes());
    }
    // Offsets past 2 GiB go to a table of 64-bit offsets.
    let mut large = Vec::new();
    for (_, _, offset) in index {
        match u32::try_from(*offset) {
            Ok(small) if small < 0x8000_0000 => out.extend_from_slice(&small.to_be_bytes()),
            _ => {
                let at = 0x8000_0000 | large.len() as u32;
                out.extend_from_slice(&at.to_be_bytes());
                large.push(*offset);
            }
        }
    }
    for offset in large {
        out.extend_from_slice(&offset.to_be_bytes());
    }
    out.extend_from_slice(pack);
    let sum: [u8; 20] = Sha1::digest(&out).into();
    out.extend_from_slice(&sum);
    out
}
