//! The cursor file: restarts, crashes mid-write, torn and damaged files, full and read-only
//! disks.

use std::fs;
use std::io;

use super::*;
use crate::profile::testkit::{at, gurux_time, JUNE_1};

fn cursor(seconds: i64, entries: Option<u32>) -> Cursor {
    Cursor {
        last: at(seconds),
        range_from: gurux_time(seconds),
        range_from_time: at(seconds),
        entries_in_use: entries,
    }
}

fn state_dir(dir: &TestDir) -> std::path::PathBuf {
    dir.path().join("sources").join("meter12")
}

fn opened_clean(path: &std::path::Path) -> CatchupStore {
    let opened = CatchupStore::open(path);
    assert!(opened.problem.is_none(), "{:?}", opened.problem);
    opened.store
}

#[test]
fn a_cursor_written_is_read_back_after_a_restart_from_a_folder_made_on_the_first_write() {
    let dir = TestDir::new();
    let path = state_dir(&dir);
    let mut store = opened_clean(&path);
    assert!(store.cursor("load_profile").is_none());
    assert!(!path.exists(), "nothing is created before the first write");
    store
        .advance("load_profile", cursor(JUNE_1 + 6300, Some(96)))
        .expect("written");
    store
        .advance("daily", cursor(JUNE_1, None))
        .expect("written");
    assert!(!store.is_behind());
    drop(store);
    let store = opened_clean(&path);
    assert_eq!(
        store.cursor("load_profile"),
        Some(&cursor(JUNE_1 + 6300, Some(96)))
    );
    assert_eq!(store.cursor("daily"), Some(&cursor(JUNE_1, None)));
    assert_eq!(store.cursors().count(), 2);
}

#[test]
fn the_file_is_one_line_per_profile_between_a_header_and_a_checksum() {
    let dir = TestDir::new();
    let mut store = opened_clean(dir.path());
    store
        .advance("load_profile", cursor(JUNE_1 + 6300, Some(96)))
        .expect("written");
    let text = fs::read_to_string(store.path()).expect("the file");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], "fieldbridge-dlms-catchup 1");
    assert_eq!(
        lines[1],
        "load_profile 1717206300000 1717206300000 07E80601FF012D0000000000 96"
    );
    assert!(
        lines[2].starts_with("crc16 ") && lines[2].len() == 10,
        "{text}"
    );
}

#[test]
fn a_leftover_temporary_file_is_removed_and_the_last_complete_write_is_used() {
    let dir = TestDir::new();
    let mut store = opened_clean(dir.path());
    store
        .advance("load_profile", cursor(JUNE_1 + 900, Some(1)))
        .expect("written");
    // A crash in the middle of the next write: the temporary file is half written.
    fs::write(
        dir.path().join(TMP_FILE),
        "fieldbridge-dlms-catchup 1\nload_profile 17172",
    )
    .expect("tmp");
    let store = opened_clean(dir.path());
    assert_eq!(
        store.cursor("load_profile"),
        Some(&cursor(JUNE_1 + 900, Some(1)))
    );
    assert!(!dir.path().join(TMP_FILE).exists());
}

fn written_file(dir: &TestDir) -> Vec<u8> {
    let mut store = opened_clean(dir.path());
    store
        .advance("load_profile", cursor(JUNE_1 + 900, Some(1)))
        .expect("written");
    store
        .advance("billing", cursor(JUNE_1 + 86_400, None))
        .expect("written");
    fs::read(store.path()).expect("the file")
}

#[test]
fn a_torn_file_cut_at_any_byte_is_reported_and_not_trusted() {
    let dir = TestDir::new();
    let good = written_file(&dir);
    let path = dir.path().join(FILE);
    for len in 0..good.len() {
        fs::write(&path, &good[..len]).expect("torn");
        let opened = CatchupStore::open(dir.path());
        assert!(
            matches!(opened.problem, Some(StoreError::Damaged { .. })),
            "cut at {len}: {:?}",
            opened.problem
        );
        assert_eq!(opened.store.cursors().count(), 0, "cut at {len}");
        assert!(!path.exists(), "cut at {len}: moved aside");
        assert_eq!(
            fs::read(dir.path().join(DAMAGED_FILE)).expect("kept"),
            &good[..len],
            "the damaged file is kept as it was"
        );
    }
}

#[test]
fn a_flipped_bit_anywhere_is_found_by_the_checksum() {
    let dir = TestDir::new();
    let good = written_file(&dir);
    let path = dir.path().join(FILE);
    for i in 0..good.len() {
        for bit in [0x01, 0x10, 0x40] {
            let mut bad = good.clone();
            bad[i] ^= bit;
            fs::write(&path, &bad).expect("damaged");
            let opened = CatchupStore::open(dir.path());
            assert!(
                matches!(opened.problem, Some(StoreError::Damaged { .. })),
                "byte {i} bit {bit:#04x}: {:?}",
                opened.problem
            );
            assert_eq!(opened.store.cursors().count(), 0);
        }
    }
    fs::write(&path, &good).expect("good again");
    assert_eq!(opened_clean(dir.path()).cursors().count(), 2);
}

#[test]
fn the_damage_is_named_with_its_line() {
    let dir = TestDir::new();
    let good = String::from_utf8(written_file(&dir)).expect("text");
    let path = dir.path().join(FILE);
    fs::write(&path, good.replace("crc16", "crc17")).expect("edited");
    let problem = CatchupStore::open(dir.path()).problem.expect("a problem");
    assert_eq!(
        problem.to_string(),
        format!(
            "profile cursors: {} is damaged at line 4: the last line is not the checksum (a torn write)",
            path.display()
        )
    );
}

#[test]
fn an_unreadable_file_is_reported_and_every_profile_starts_over() {
    let dir = TestDir::new();
    // A folder where the file should be: reading it fails.
    fs::create_dir(dir.path().join(FILE)).expect("folder");
    let opened = CatchupStore::open(dir.path());
    let Some(StoreError::Io { action, .. }) = opened.problem else {
        panic!("expected an I/O error, got {:?}", opened.problem);
    };
    assert_eq!(action, "read");
    let mut store = opened.store;
    assert_eq!(store.cursors().count(), 0);
    // Writing over it fails too: an error to count, the cursor kept in memory.
    let error = store
        .advance("load_profile", cursor(JUNE_1, None))
        .expect_err("a folder cannot be replaced by the file");
    assert!(
        matches!(
            error,
            StoreError::Io {
                action: "rename into place",
                ..
            }
        ),
        "{error}"
    );
    assert!(store.is_behind());
    assert_eq!(store.cursor("load_profile"), Some(&cursor(JUNE_1, None)));
    assert!(
        !dir.path().join(TMP_FILE).exists(),
        "no temporary file left"
    );
}

#[test]
fn a_full_disk_refuses_the_write_keeps_the_last_complete_file_and_a_flush_catches_up() {
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        eprintln!("skipped: no /dev/full on this system to stand for a full disk");
        return;
    }
    let dir = TestDir::new();
    let mut store = opened_clean(dir.path());
    store
        .advance("load_profile", cursor(JUNE_1 + 900, Some(1)))
        .expect("written");
    // Every write of the temporary file now lands on a device that is always full.
    #[cfg(unix)]
    std::os::unix::fs::symlink(full, dir.path().join(TMP_FILE)).expect("symlink");
    let error = store
        .advance("load_profile", cursor(JUNE_1 + 1800, Some(2)))
        .expect_err("the disk is full");
    let StoreError::Io { action, source, .. } = &error else {
        panic!("{error}");
    };
    assert_eq!(
        (*action, source.raw_os_error()),
        ("write", Some(28)),
        "ENOSPC"
    );
    assert!(store.is_behind());
    assert_eq!(
        store.cursor("load_profile"),
        Some(&cursor(JUNE_1 + 1800, Some(2))),
        "the entries were handed over: not read again while running"
    );
    assert_eq!(
        opened_clean(dir.path()).cursor("load_profile"),
        Some(&cursor(JUNE_1 + 900, Some(1))),
        "the file still holds the last complete write"
    );
    store.flush().expect("space again");
    assert!(!store.is_behind());
    assert_eq!(
        opened_clean(dir.path()).cursor("load_profile"),
        Some(&cursor(JUNE_1 + 1800, Some(2)))
    );
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_refuses_the_write_and_nothing_is_lost() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    let mut store = opened_clean(dir.path());
    store
        .advance("load_profile", cursor(JUNE_1 + 900, Some(1)))
        .expect("written");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).expect("chmod");
    let probe = dir.path().join("probe");
    if fs::write(&probe, b"").is_ok() {
        let _ = fs::remove_file(&probe);
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        eprintln!("skipped: running as root, which ignores folder permissions (the full-disk and unreadable-file tests cover failed writes)");
        return;
    }
    let error = store
        .advance("load_profile", cursor(JUNE_1 + 1800, Some(2)))
        .expect_err("read-only");
    let StoreError::Io { source, .. } = &error else {
        panic!("{error}");
    };
    assert_eq!(source.kind(), io::ErrorKind::PermissionDenied);
    assert!(store.is_behind());
    assert_eq!(
        opened_clean(dir.path()).cursor("load_profile"),
        Some(&cursor(JUNE_1 + 900, Some(1)))
    );
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    store.flush().expect("writable again");
    assert_eq!(
        opened_clean(dir.path()).cursor("load_profile"),
        Some(&cursor(JUNE_1 + 1800, Some(2)))
    );
}

#[test]
fn a_state_folder_that_cannot_be_made_is_an_error_not_a_panic() {
    let dir = TestDir::new();
    let file = dir.path().join("a-file");
    fs::write(&file, b"").expect("file");
    let opened = CatchupStore::open(&file.join("meter12"));
    assert!(
        matches!(opened.problem, Some(StoreError::Io { action: "read", .. })),
        "{:?}",
        opened.problem
    );
    let mut store = opened.store;
    let error = store
        .advance("load_profile", cursor(JUNE_1, None))
        .expect_err("not a folder");
    assert!(
        matches!(
            error,
            StoreError::Io {
                action: "create the folder",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn a_cursor_never_moves_back_and_forget_starts_a_profile_over() {
    let dir = TestDir::new();
    let mut store = opened_clean(dir.path());
    store
        .advance("load_profile", cursor(JUNE_1 + 1800, Some(2)))
        .expect("written");
    let error = store
        .advance("load_profile", cursor(JUNE_1 + 900, Some(1)))
        .expect_err("backwards");
    assert!(matches!(error, StoreError::Backwards { .. }), "{error}");
    assert_eq!(
        store.cursor("load_profile"),
        Some(&cursor(JUNE_1 + 1800, Some(2)))
    );
    // The same capture time with a new entries_in_use is not a move back.
    store
        .advance("load_profile", cursor(JUNE_1 + 1800, Some(3)))
        .expect("same time");
    store.forget("load_profile").expect("forgotten");
    assert!(store.cursor("load_profile").is_none());
    assert!(opened_clean(dir.path()).cursor("load_profile").is_none());
}

#[test]
fn a_name_that_is_not_a_point_name_is_refused() {
    let dir = TestDir::new();
    let mut store = opened_clean(dir.path());
    for name in ["", "two words", "line\nbreak", "a/b"] {
        assert!(
            matches!(
                store.advance(name, cursor(JUNE_1, None)),
                Err(StoreError::BadName { .. })
            ),
            "{name:?}"
        );
    }
    assert_eq!(store.cursors().count(), 0);
}
