//! `cargo fuzz run expand`: see fuzz/README.md and [`fleetc_fuzz::harness::expand`].
//! With FLEETC_FUZZ_VERBOSE set, each input's outcome is printed (to look
//! at a corpus: `cargo fuzz run expand FILES... -runs=0`, no fuzzing).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let outcome = fleetc_fuzz::harness::expand(data);
    if fleetc_fuzz::verbose() {
        eprintln!("{outcome:?}");
    }
});
