//! Contract: hostile configuration — YAML alias bombs, deep nesting, a
//! 100 MB codebook, pathological regular expressions — is answered with a
//! clear error (or handled), never a crash, a hang or unbounded memory.

#[path = "support/cli.rs"]
mod cli_support;

use std::path::Path;

use cli_support::bin;

fn check(path: &Path) -> (bool, String) {
    let out = bin()
        .args(["codebook", "check"])
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn alerts(path: &Path) -> (bool, String) {
    let out = bin()
        .args(["analyze", "--no-model", "-q", "-o", "/dev/null", "--alerts"])
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Nine levels of nine aliases each: 9^9 strings once expanded.
fn alias_bomb(key: &str) -> String {
    let mut s = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..9 {
        let p = i - 1;
        s.push_str(&format!(
            "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
        ));
    }
    s.push_str(&format!("{key}: *a8\n"));
    s
}

#[test]
fn yaml_alias_bombs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cb = dir.path().join("bomb.yaml");
    std::fs::write(&cb, format!("codebook: x\n{}", alias_bomb("codes"))).unwrap();
    let (ok, err) = check(&cb);
    assert!(!ok);
    assert!(err.contains("bomb.yaml"), "{err}");
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, alias_bomb("rules")).unwrap();
    let (ok, err) = alerts(&rules);
    assert!(!ok);
    assert!(err.contains("rules.yaml"), "{err}");
}

#[test]
fn deep_nesting_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        (
            "flow.yaml",
            format!(
                "codebook: x\ncodes: {}{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
        ),
        ("block.yaml", {
            let mut s = String::from("codebook: x\ncodes:\n");
            for i in 0..3_000 {
                s.push_str(&" ".repeat(i + 2));
                s.push_str("- \n");
            }
            s
        }),
    ] {
        let cb = dir.path().join(name);
        std::fs::write(&cb, text).unwrap();
        let (ok, err) = check(&cb);
        assert!(!ok, "{name}");
        assert!(err.contains(name), "{name}: {err}");
        let (ok, err) = alerts(&cb);
        assert!(!ok, "{name}");
        assert!(err.contains(name), "{name}: {err}");
    }
}

#[test]
fn a_huge_configuration_file_is_refused_by_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let cb = dir.path().join("huge.yaml");
    let mut s = String::from("codebook: huge\ncodes:\n");
    let mut i = 0;
    while s.len() < 100 << 20 {
        s.push_str(&format!(
            "  - id: c{i}\n    label: code {i}\n    terms: {{en: [word{i}]}}\n"
        ));
        i += 1;
    }
    std::fs::write(&cb, s).unwrap();
    let (ok, err) = check(&cb);
    assert!(!ok);
    assert!(err.contains("huge.yaml") && err.contains("MB"), "{err}");
}

#[test]
fn pathological_regexes_are_refused_or_linear() {
    let dir = tempfile::tempdir().unwrap();
    let cb = dir.path().join("regex.yaml");
    std::fs::write(
        &cb,
        "codebook: r\ncodes:\n  - id: a\n    labels: {en: A}\n    rules:\n      en:\n        - regex: ['(?:x{1000}){1000}{1000}']\n  - id: b\n    labels: {en: B}\n    rules:\n      en:\n        - regex: ['(a+)+$']\n",
    )
    .unwrap();
    let (ok, err) = check(&cb);
    assert!(!ok);
    assert!(
        err.contains("regex.yaml") && err.contains("`a`") && !err.contains("`b`"),
        "{err}"
    );
}
