//! Golden examples per language and per stage, through the public API:
//! what a record of each kind must come out as.

use vocmine::{Engine, Language, Record, Role, Script, Turn};

fn engine() -> Engine {
    Engine::builder().tokens(true).build().unwrap()
}

fn clause_texts(r: &vocmine::Analysis) -> Vec<&str> {
    r.clauses.iter().map(|c| c.text.as_str()).collect()
}

#[test]
fn simplified_chinese_review() {
    let r = engine()
        .analyze(&Record::text(
            1u64,
            "菜很好吃，但是等了一个小时才上菜。服务员态度也不好！",
        ))
        .unwrap();
    assert_eq!(r.language, Language::ZH);
    assert_eq!(r.script, Script::Hans);
    assert_eq!(
        clause_texts(&r),
        ["菜很好吃", "但是等了一个小时才上菜。", "服务员态度也不好！"]
    );
    assert_eq!((r.clauses[1].start, r.clauses[1].end), (5, 17));
    // 不好: negator + negated 好.
    let toks = r.clauses[2].tokens.as_ref().unwrap();
    let neg = toks.iter().position(|t| t.norm == "不").unwrap();
    assert!(toks[neg].negator);
    assert_eq!(toks[neg + 1].norm, "好");
    assert!(toks[neg + 1].negated);
}

#[test]
fn traditional_chinese_is_hant_and_folds_for_matching() {
    let r = engine()
        .analyze(&Record::text("t", "維修等了很久，服務態度很差"))
        .unwrap();
    assert_eq!((r.language, r.script), (Language::ZH, Script::Hant));
    let toks = r.clauses[0].tokens.as_ref().unwrap();
    // Surface stays traditional, norm is simplified.
    let t = toks.iter().find(|t| t.text == "維修").unwrap();
    assert_eq!(t.norm, "维修");
    assert_eq!(clause_texts(&r), ["維修等了很久", "服務態度很差"]);
}

#[test]
fn full_width_text_keeps_original_offsets() {
    let r = engine()
        .analyze(&Record::text("f", "４Ｓ店的ＡＰＰ太卡了！！"))
        .unwrap();
    assert_eq!(r.clauses.len(), 1);
    assert_eq!(r.clauses[0].text, "４Ｓ店的ＡＰＰ太卡了！！");
    let toks = r.clauses[0].tokens.as_ref().unwrap();
    let app = toks.iter().find(|t| t.norm == "app").unwrap();
    assert_eq!((app.text.as_str(), app.start, app.end), ("ＡＰＰ", 4, 7));
}

#[test]
fn russian_review() {
    let r = engine()
        .analyze(&Record::text(
            "r",
            "Еда вкусная, но официант грубил. Никто не извинился!",
        ))
        .unwrap();
    assert_eq!((r.language, r.script), (Language::RU, Script::Cyrl));
    assert_eq!(
        clause_texts(&r),
        ["Еда вкусная", "но официант грубил.", "Никто не извинился!"]
    );
    let toks = r.clauses[2].tokens.as_ref().unwrap();
    let t = toks.iter().find(|t| t.norm == "извинился").unwrap();
    assert!(t.negated);
    assert_eq!(t.stem.as_deref(), Some("извин"));
}

#[test]
fn english_review() {
    let r = engine()
        .analyze(&Record::text(
            "e",
            "I wasn't happy with the courier, however the refund was quick.",
        ))
        .unwrap();
    assert_eq!((r.language, r.script), (Language::EN, Script::Latn));
    assert_eq!(
        clause_texts(&r),
        [
            "I wasn't happy with the courier",
            "however the refund was quick."
        ]
    );
    let toks = r.clauses[0].tokens.as_ref().unwrap();
    assert!(toks.iter().any(|t| t.norm == "happy" && t.negated));
    assert!(r.clauses[1]
        .tokens
        .as_ref()
        .unwrap()
        .iter()
        .all(|t| !t.negated));
}

#[test]
fn tweet_with_mention_url_and_emoji() {
    let r = engine()
        .analyze(&Record::text(
            "tw",
            "@ShopNow_RU курьер опять опоздал 😡 https://t.example/abc #fail",
        ))
        .unwrap();
    assert_eq!(r.language, Language::RU);
    let toks = r.clauses[0].tokens.as_ref().unwrap();
    let kinds: Vec<_> = toks.iter().map(|t| format!("{:?}", t.kind)).collect();
    assert_eq!(
        kinds,
        ["Mention", "Word", "Word", "Word", "Emoji", "Url", "Hashtag"]
    );
}

#[test]
fn conversation_language_follows_the_customer_and_short_replies_are_right() {
    let r = engine()
        .analyze(&Record::conversation(
            "c",
            vec![
                Turn::new("bot", "Hello! How can I help you today?"),
                Turn::new("customer", "我的快递三天了还没到"),
                Turn::new("agent", "抱歉让您久等了，我帮您查一下"),
                Turn::new("customer", "好的"),
                Turn::new("customer", "嗯"),
            ],
        ))
        .unwrap();
    assert_eq!(r.language, Language::ZH);
    let turns = r.turns.as_ref().unwrap();
    assert_eq!(turns[0].language, Language::EN);
    assert_eq!(turns[0].role, Role::Bot);
    assert_eq!(turns[3].language, Language::ZH);
    assert_eq!(turns[4].language, Language::ZH);
    let reply = r.clauses.iter().find(|c| c.turn == Some(3)).unwrap();
    assert_eq!(
        (reply.text.as_str(), reply.language, reply.start, reply.end),
        ("好的", Language::ZH, 0, 2)
    );
    assert_eq!(reply.speaker.as_deref(), Some("customer"));
}

#[test]
fn mixed_language_record_reports_shares_and_clause_languages() {
    let r = engine()
        .analyze(&Record::text(
            "m",
            "Доставка быстрая, но упаковка порвана. The courier was polite though.",
        ))
        .unwrap();
    assert_eq!(r.language, Language::RU);
    assert_eq!(r.languages.len(), 2);
    let langs: Vec<_> = r.clauses.iter().map(|c| c.language.code()).collect();
    assert_eq!(langs, ["ru", "ru", "en"]);
}

#[test]
fn asr_transcript_without_punctuation_is_one_clause_per_contrast() {
    let r = engine()
        .analyze(&Record::text(
            "asr",
            "嗯 那个 我上周去保养 等了三个小时 但是 师傅态度还可以",
        ))
        .unwrap();
    assert_eq!(r.clauses.len(), 2);
    assert!(r.clauses[1].text.starts_with("但是"));
}

#[test]
fn und_when_nothing_can_be_said() {
    let r = engine()
        .analyze(&Record::text("u", "👍👍👍 12315"))
        .unwrap();
    assert_eq!(r.language, Language::UND);
    assert_eq!(r.script, Script::Zyyy);
    assert_eq!(r.clauses.len(), 1);
}

#[test]
fn user_words_join_at_run_time() {
    let e = engine();
    let before = e.analyze(&Record::text(1u64, "车机卡顿很严重")).unwrap();
    let n_before = before.clauses[0].tokens.as_ref().unwrap().len();
    e.add_words(&["车机卡顿".to_string()]);
    let after = e.analyze(&Record::text(1u64, "车机卡顿很严重")).unwrap();
    let toks = after.clauses[0].tokens.as_ref().unwrap();
    assert!(toks.iter().any(|t| t.text == "车机卡顿"));
    assert!(toks.len() < n_before);
}

#[test]
fn records_built_in_code_are_validated() {
    let e = engine();
    let err = e.analyze(&Record::text("x", "  ")).unwrap_err();
    assert_eq!(err.kind, vocmine::RecordErrorKind::EmptyText);
    let err = e.analyze(&Record::conversation("y", vec![])).unwrap_err();
    assert_eq!(err.kind, vocmine::RecordErrorKind::EmptyText);
}

#[test]
fn batch_is_ordered_and_matches_single() {
    let e = Engine::builder().threads(2).tokens(true).build().unwrap();
    let records: Vec<Record> = (0..200u64)
        .map(|i| {
            Record::text(
                i,
                format!("第{i}次投诉：客服不回复，but nobody called back, никто не перезвонил"),
            )
        })
        .collect();
    let batch = e.analyze_batch(&records).unwrap();
    for (r, o) in records.iter().zip(&batch) {
        assert_eq!(o.analysis().unwrap(), &e.analyze(r).unwrap());
    }
}
