//! Contract of the conversation features: each feature (escalation
//! request, repeat contact, unresolved end, agent apology, agent empathy)
//! on examples in Chinese, Russian and English, with evidence spans that
//! point at the turn's original text; customer features read customer turns
//! only and agent features agent turns only; the sentiment trajectory
//! (improved / worsened) from the customer turns' sentiment; the
//! `conversation` field in `analyze` output (present for `turns` records
//! only); and — with the default model, when it is built — the trajectory
//! and unresolved end from real sentiment.

#[path = "support/cli.rs"]
mod cli_support;

#[path = "support/model.rs"]
mod model_support;
use model_support::default_model;

use cli_support::{assert_ok, bin, lines, root};
use serde_json::Value;
use vocmine::neural::sentiment::{AggregateSentiment, Polarity};
use vocmine::stages::conversation::{
    ConversationAnalyzer, ConversationCues, ConversationFeature, ConversationInsights, Feature,
};
use vocmine::{Analysis, Engine, Record, Role, Turn};

// ------------------------------------------------------------------ helpers

fn engine() -> Engine {
    Engine::builder().build().expect("engine")
}

fn call(turns: &[(&str, &str)]) -> Record {
    Record::conversation("c", turns.iter().map(|(s, t)| Turn::new(*s, *t)).collect())
}

/// The analysis of a conversation with the engine's (default) analyzer.
fn analyzed(turns: &[(&str, &str)]) -> Analysis {
    engine().analyze(&call(turns)).expect("analysis")
}

fn insights(turns: &[(&str, &str)]) -> ConversationInsights {
    let a = analyzed(turns);
    let i = a.conversation.clone().expect("conversation insights");
    check_spans(&a, &i);
    i
}

/// Every piece of evidence is exactly its span of the turn's original text.
fn check_spans(a: &Analysis, i: &ConversationInsights) {
    let turns = a.turns.as_ref().expect("turns");
    for f in [
        &i.unresolved_at_end,
        &i.escalation_request,
        &i.repeat_contact,
        &i.agent_apology,
        &i.agent_empathy,
    ] {
        assert_eq!(f.present, !f.evidence.is_empty());
        for e in &f.evidence {
            let t = e.turn.expect("evidence turn");
            let span: String = turns[t]
                .text
                .chars()
                .skip(e.start)
                .take(e.end - e.start)
                .collect();
            assert_eq!(span, e.text, "{e:?}");
        }
    }
}

fn cues(f: &Feature) -> Vec<&str> {
    f.evidence.iter().filter_map(|e| e.cue.as_deref()).collect()
}

fn turns_of(f: &Feature) -> Vec<usize> {
    f.evidence.iter().filter_map(|e| e.turn).collect()
}

fn sentiment(polarity: f32) -> AggregateSentiment {
    let label = if polarity <= -0.3 {
        Polarity::Negative
    } else if polarity >= 0.3 {
        Polarity::Positive
    } else {
        Polarity::Neutral
    };
    AggregateSentiment::from_polarity(label, polarity)
}

// ------------------------------------------------------- 1. each feature

#[test]
fn escalation_request_in_three_languages() {
    for (turns, cue, turn) in [
        (
            [
                ("agent", "您好 请问有什么可以帮您"),
                ("customer", "都一个月了 我要找你们领导"),
            ],
            "找你们领导",
            1,
        ),
        (
            [
                ("agent", "Добрый день"),
                ("customer", "Хватит. Позовите руководителя!"),
            ],
            "позовите руководителя",
            1,
        ),
        (
            [
                ("agent", "Thanks for calling"),
                ("customer", "Enough. Let me speak to a manager."),
            ],
            "let me speak to a manager",
            1,
        ),
    ] {
        let i = insights(&turns);
        assert_eq!(cues(&i.escalation_request), [cue], "{turns:?}");
        assert_eq!(turns_of(&i.escalation_request), [turn]);
        assert!(i.has(ConversationFeature::EscalationRequest));
    }
    // 我要投诉 is a formal complaint, in Chinese and in the Russian and
    // English wordings of one.
    assert!(
        insights(&[("customer", "我要投诉你们")])
            .escalation_request
            .present
    );
    assert!(
        insights(&[("customer", "я напишу жалобу")])
            .escalation_request
            .present
    );
    assert!(
        insights(&[("customer", "I want to file a complaint")])
            .escalation_request
            .present
    );
}

#[test]
fn negated_escalation_is_not_a_request() {
    for t in [
        "我不是要投诉 就是问问",
        "я не буду жаловаться, просто скажите когда",
        "I'm not going to file a complaint, just tell me when",
    ] {
        let i = insights(&[("customer", t)]);
        assert!(!i.escalation_request.present, "{t}: {i:?}");
    }
}

#[test]
fn repeat_contact_in_three_languages() {
    for (t, cue) in [
        ("喂 我这是第三次打电话了", "第三次打"),
        (
            "алло, я уже третий раз звоню по поводу машины",
            "уже третий раз звоню",
        ),
        (
            "Hi, this is the third time calling about my card",
            "third time calling",
        ),
    ] {
        let i = insights(&[("customer", t), ("agent", "ok")]);
        assert_eq!(cues(&i.repeat_contact), [cue], "{t}");
        assert_eq!(turns_of(&i.repeat_contact), [0]);
    }
    // Traditional Chinese folds to simplified before matching.
    assert!(
        insights(&[("customer", "我已經第三次打電話了")])
            .repeat_contact
            .present
    );
}

#[test]
fn unresolved_at_end_in_three_languages() {
    for (turns, want) in [
        (
            [
                ("customer", "车机又死机了"),
                ("agent", "您重启一下试试"),
                ("customer", "重启了 还是没解决"),
            ],
            "还是没解决",
        ),
        (
            [
                ("customer", "интернет не работает"),
                ("agent", "перезагрузите роутер"),
                ("customer", "перезагрузил, бесполезно"),
            ],
            "бесполезно",
        ),
        (
            [
                ("customer", "my app keeps crashing"),
                ("agent", "please reinstall it"),
                ("customer", "I did, it's still not fixed"),
            ],
            "still not fixed",
        ),
    ] {
        let i = insights(&turns);
        assert_eq!(cues(&i.unresolved_at_end), [want], "{turns:?}");
        assert_eq!(turns_of(&i.unresolved_at_end), [2]);
        assert_eq!(i.last_customer_turn, Some(2));
    }
    // The same cue in an earlier customer turn, then a thank-you: resolved.
    for turns in [
        [
            ("customer", "上次还是没解决"),
            ("agent", "已经帮您处理好了"),
            ("customer", "好的 谢谢"),
        ],
        [
            ("customer", "прошлый раз так и не решили"),
            ("agent", "сейчас всё исправлено"),
            ("customer", "спасибо"),
        ],
        [
            ("customer", "last time it was still not fixed"),
            ("agent", "it is fixed now"),
            ("customer", "great, thanks"),
        ],
    ] {
        let i = insights(&turns);
        assert!(!i.unresolved_at_end.present, "{turns:?}: {i:?}");
    }
}

#[test]
fn agent_apology_and_empathy_in_three_languages() {
    for (agent, apology, empathy) in [
        ("非常抱歉让您久等了 我理解您的心情", "抱歉", "理解您的心情"),
        (
            "Приносим извинения, понимаю вас",
            "приносим извинения",
            "понимаю вас",
        ),
        (
            "I'm so sorry, I understand how frustrating this is",
            "sorry",
            "i understand how frustrating",
        ),
    ] {
        let i = insights(&[("customer", "..."), ("agent", agent)]);
        assert_eq!(cues(&i.agent_apology), [apology], "{agent}");
        assert_eq!(cues(&i.agent_empathy), [empathy], "{agent}");
        assert_eq!(turns_of(&i.agent_apology), [1]);
    }
}

#[test]
fn roles_are_kept_apart() {
    // A customer's "sorry" is no agent apology; an agent's 投诉 / "complaint"
    // is no escalation request; a bot's apology counts for nobody.
    for turns in [
        [
            ("customer", "不好意思 我理解"),
            ("agent", "您可以投诉 也可以找我们领导"),
            ("bot", "抱歉 我没听懂"),
        ],
        [
            ("customer", "извините, понимаю вас"),
            ("agent", "вы можете написать жалобу руководству"),
            ("bot", "извините, я не понял"),
        ],
        [
            ("customer", "sorry, I understand"),
            ("agent", "you can file a complaint with my supervisor"),
            ("bot", "sorry, I did not get that"),
        ],
    ] {
        let i = insights(&turns);
        assert!(!i.agent_apology.present, "{turns:?}: {i:?}");
        assert!(!i.agent_empathy.present, "{turns:?}: {i:?}");
        assert!(!i.escalation_request.present, "{turns:?}: {i:?}");
        assert_eq!((i.customer_turns, i.agent_turns, i.turns), (1, 1, 3));
    }
}

// ------------------------------------------------------- 2. trajectory

/// A conversation with the given customer-turn polarities set by hand
/// (the trajectory reads only the turns' aggregate sentiment).
fn with_polarities(turns: &[(&str, &str)], polarities: &[(usize, f32)]) -> ConversationInsights {
    let e = engine();
    let mut a = e.analyze(&call(turns)).expect("analysis");
    if let Some(ts) = a.turns.as_mut() {
        for &(t, p) in polarities {
            ts[t].sentiment = Some(sentiment(p));
        }
    }
    e.conversation_analyzer()
        .analyze_with(&a, e.segmenter())
        .expect("insights")
}

#[test]
fn trajectory_improved_and_worsened_in_three_languages() {
    let calls: [[(&str, &str); 3]; 3] = [
        [
            ("customer", "卡被冻结了 刷不了"),
            ("agent", "已为您解冻"),
            ("customer", "好了 谢谢"),
        ],
        [
            ("customer", "карту заблокировали"),
            ("agent", "разблокировали"),
            ("customer", "работает, спасибо"),
        ],
        [
            ("customer", "my card is blocked"),
            ("agent", "unblocked it"),
            ("customer", "works now, thanks"),
        ],
    ];
    for turns in &calls {
        // −0.7 → +0.5: improved by 1.2; the agent's +0.9 is ignored.
        let i = with_polarities(turns, &[(0, -0.7), (1, 0.9), (2, 0.5)]);
        let t = i.trajectory.as_ref().expect("trajectory");
        assert_eq!((t.first_turn, t.last_turn), (0, 2));
        assert_eq!(t.change, 1.2);
        assert!(t.improved && !t.worsened);
        assert_eq!(t.first_label, Polarity::Negative);
        assert!(i.has(ConversationFeature::SentimentImproved));
        assert!(!i.unresolved_at_end.present);

        // +0.1 → −0.6: worsened, and the negative last turn is unresolved
        // (evidence: the whole turn with its polarity).
        let i = with_polarities(turns, &[(0, 0.1), (2, -0.6)]);
        let t = i.trajectory.as_ref().expect("trajectory");
        assert!(t.worsened && !t.improved);
        assert!(i.has(ConversationFeature::SentimentWorsened));
        let ev = &i.unresolved_at_end.evidence;
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0].turn, ev[0].polarity), (Some(2), Some(-0.6)));
        assert_eq!(ev[0].text, turns[2].1);

        // A change below the threshold (0.2) is neither.
        let i = with_polarities(turns, &[(0, 0.1), (2, 0.25)]);
        let t = i.trajectory.as_ref().expect("trajectory");
        assert!(!t.improved && !t.worsened);

        // One customer turn with sentiment: no trajectory.
        let i = with_polarities(turns, &[(2, 0.5)]);
        assert!(i.trajectory.is_none());
    }
}

#[test]
fn custom_cues_replace_the_section() {
    let cues = ConversationCues {
        escalation: [("en".to_owned(), vec!["ombudsman".to_owned()])]
            .into_iter()
            .collect(),
        ..ConversationCues::default()
    };
    let e = Engine::builder()
        .conversation_cues(cues)
        .build()
        .expect("engine");
    let a = e
        .analyze(&call(&[(
            "customer",
            "I'll go to the ombudsman, get me a manager",
        )]))
        .expect("analysis");
    let i = a.conversation.expect("insights");
    assert_eq!(cues_of(&i.escalation_request), ["ombudsman"]);
    // The default analyzer compiles on its own too.
    assert!(ConversationAnalyzer::new().is_ok());
}

fn cues_of(f: &Feature) -> Vec<&str> {
    cues(f)
}

// ------------------------------------------------------- 3. output

#[test]
fn text_records_have_no_conversation_field() {
    let a = engine()
        .analyze(&Record::text("t", "我要投诉 找你们领导"))
        .expect("analysis");
    assert!(a.conversation.is_none());
    let v = serde_json::to_value(&a).expect("json");
    assert!(v.get("conversation").is_none(), "{v}");
}

#[test]
fn analyze_writes_the_conversation_field_and_batch_equals_single() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"id": "c1", "turns": [{"speaker": "customer", "text": "我这是第三次打电话了 找你们领导"}, {"speaker": "agent", "text": "非常抱歉 我理解您的心情"}, {"speaker": "customer", "text": "还是没解决"}]}"#,
            "\n",
            r#"{"id": "t1", "text": "I want to speak to a manager"}"#,
            "\n",
        ),
    )
    .expect("write");
    let out = dir.path().join("out.jsonl");
    let run = bin()
        .args(["analyze", "--no-model", "-q"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run");
    assert_ok(&run);
    let recs = lines(&out);
    let c = &recs[0]["conversation"];
    for f in [
        "escalation_request",
        "repeat_contact",
        "unresolved_at_end",
        "agent_apology",
        "agent_empathy",
    ] {
        assert_eq!(c[f]["present"], true, "{f}: {c}");
    }
    assert_eq!(c["escalation_request"]["evidence"][0]["turn"], 0);
    assert_eq!(c["escalation_request"]["evidence"][0]["text"], "找你们领导");
    assert_eq!(c["agent_apology"]["evidence"][0]["turn"], 1);
    assert_eq!(c["turns"], 3);
    assert_eq!(c["customer_turns"], 2);
    assert!(c["trajectory"].is_null(), "no model, no trajectory");
    assert!(recs[1].get("conversation").is_none());

    // The streaming CLI (batch) and the single-record API agree.
    let first = std::fs::read_to_string(&input).expect("read");
    let first = first.lines().next().expect("line");
    let rec = Record::from_json_str(first, 1).expect("record");
    let single = serde_json::to_value(engine().analyze(&rec).expect("analysis")).expect("json");
    assert_eq!(single["conversation"], *c);
}

#[test]
fn the_sample_corpus_has_every_feature() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out.jsonl");
    let run = bin()
        .args(["analyze", "--no-model", "-q"])
        .arg(root().join("corpora/sample.jsonl"))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run");
    assert_ok(&run);
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let mut conversations = 0;
    for rec in lines(&out) {
        let Some(c) = rec.get("conversation") else {
            assert_ne!(rec["kind"], "conversation");
            continue;
        };
        conversations += 1;
        for (name, f) in c.as_object().expect("object") {
            if f.get("present") == Some(&Value::Bool(true)) {
                *seen.entry(name.clone()).or_default() += 1;
                // Customer features from customer turns, agent features from agent turns.
                let want = if name.starts_with("agent_") {
                    "agent"
                } else {
                    "customer"
                };
                for e in f["evidence"].as_array().expect("evidence") {
                    let t = e["turn"].as_u64().expect("turn") as usize;
                    assert_eq!(rec["turns"][t]["role"], want, "{name}: {e}");
                }
            }
        }
    }
    assert_eq!(conversations, 110);
    for f in [
        "escalation_request",
        "repeat_contact",
        "unresolved_at_end",
        "agent_apology",
        "agent_empathy",
    ] {
        assert!(seen.get(f).is_some_and(|&n| n > 0), "{f}: {seen:?}");
    }
}

// ------------------------------------------------------- 4. with the model

#[test]
fn trajectory_from_the_model_in_three_languages() {
    let Some(dir) = default_model() else {
        eprintln!(
            "SKIPPED: the default model is not built; run `{}`",
            vocmine::neural::encoder::SETUP_COMMAND
        );
        return;
    };
    let enc = vocmine::neural::encoder::Encoder::builder(&dir)
        .project_root(root())
        .build()
        .expect("model");
    let e = Engine::builder().encoder(enc).build().expect("engine");
    let improved = [
        call(&[
            ("customer", "太糟糕了，车又坏了，我非常生气"),
            ("agent", "非常抱歉，我们马上安排"),
            ("customer", "好的，太好了，非常感谢你们，服务很棒"),
        ]),
        call(&[
            (
                "customer",
                "Это ужасно, машина опять сломалась, я очень зол",
            ),
            ("agent", "Приносим извинения, сейчас всё устроим"),
            ("customer", "Отлично, большое спасибо, прекрасный сервис"),
        ]),
        call(&[
            (
                "customer",
                "This is terrible, the car broke down again and I am furious",
            ),
            ("agent", "I'm sorry, we will sort it out right away"),
            ("customer", "Wonderful, thank you so much, great service"),
        ]),
    ];
    let out = e.analyze_batch(&improved).expect("batch");
    for o in &out {
        let a = o.analysis().expect("analysis");
        let i = a.conversation.as_ref().expect("insights");
        let t = i.trajectory.as_ref().expect("trajectory with the model");
        assert!(t.improved, "{:?}: {t:?}", a.id);
        assert!(!i.unresolved_at_end.present, "{i:?}");
        // The agent's turn has no sentiment of its own (customer clauses only).
        let turns = a.turns.as_ref().expect("turns");
        assert_eq!(turns[1].role, Role::Agent);
    }
    let worsened = [
        call(&[
            ("customer", "你好，我想问一下保养的事情"),
            ("agent", "您的车需要再等两周"),
            ("customer", "太离谱了，服务太差了，我非常失望"),
        ]),
        call(&[
            ("customer", "Здравствуйте, хочу уточнить про ремонт"),
            ("agent", "Ждать ещё две недели"),
            (
                "customer",
                "Это возмутительно, ужасный сервис, я очень разочарован",
            ),
        ]),
        call(&[
            ("customer", "Hi, I have a question about my repair"),
            ("agent", "It will take two more weeks"),
            (
                "customer",
                "This is outrageous, awful service, I am very disappointed",
            ),
        ]),
    ];
    let out = e.analyze_batch(&worsened).expect("batch");
    for o in &out {
        let a = o.analysis().expect("analysis");
        let i = a.conversation.as_ref().expect("insights");
        let t = i.trajectory.as_ref().expect("trajectory with the model");
        assert!(t.worsened, "{:?}: {t:?}", a.id);
        assert!(i.unresolved_at_end.present, "negative last turn: {i:?}");
    }
}

// ------------------------------------------- 5. agents are not customers

/// An agent's apology for the wait is not a waiting-time complaint: with
/// the automotive codebook the same words code as `after_sales.repair.waiting`
/// when a customer says them, and as nothing when an agent does — with
/// rules only and, when the model is built, with sentiment too (no pain
/// point, no negative record).
#[test]
fn an_agents_apology_for_the_wait_is_no_waiting_pain() {
    let spec = vocmine::CodebookSpec::load(root().join("corpora/codebooks/automotive.yaml"))
        .expect("codebook");
    let apologies = [
        "抱歉让您久等了",
        "Sorry for the wait",
        "Извините за ожидание",
    ];
    let mut engines = vec![Engine::builder()
        .codebook(spec.clone())
        .build()
        .expect("engine")];
    if let Some(dir) = default_model() {
        let enc = vocmine::neural::encoder::Encoder::builder(&dir)
            .project_root(root())
            .build()
            .expect("model");
        engines.push(
            Engine::builder()
                .encoder(enc)
                .codebook(spec)
                .build()
                .expect("engine"),
        );
    }
    for e in &engines {
        for said in apologies {
            let as_customer = e.analyze_batch(&[Record::text("c", said)]).expect("batch");
            let a = as_customer[0].analysis().expect("analysis");
            assert!(
                a.record_codes()
                    .iter()
                    .any(|c| &*c.code == "after_sales.repair.waiting"),
                "{said} from a customer: {:?}",
                a.record_codes()
            );
            let out = e
                .analyze_batch(&[call(&[("agent", said), ("customer", "好的 / ok / хорошо")])])
                .expect("batch");
            let a = out[0].analysis().expect("analysis");
            assert!(
                a.record_codes().is_empty(),
                "{said}: {:?}",
                a.record_codes()
            );
            assert!(
                a.record_points().is_empty(),
                "{said}: {:?}",
                a.record_points()
            );
            for c in a.clauses.iter().filter(|c| c.role == Role::Agent) {
                assert!(c.codes.is_empty() && c.sentiment.is_none(), "{c:?}");
            }
            if let Some(s) = &a.sentiment {
                assert_ne!(s.label, Polarity::Negative, "{said}: {s:?}");
            }
            let i = a.conversation.as_ref().expect("insights");
            assert!(i.agent_apology.present, "{said}: {i:?}");
            assert!(!i.unresolved_at_end.present, "{said}: {i:?}");
        }
    }
}
