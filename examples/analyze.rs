//! Analyze a few records with the library API and print clause spans.
//!
//! cargo run --example analyze

use vocmine::{Engine, Record, Turn};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::builder()
        .languages(["zh", "ru", "en"])
        .words(["车机卡顿"])
        .tokens(true)
        .build()?;
    let records = vec![
        Record::text("review-1", "車子開起來很安靜，但是車機卡顿太嚴重了！"),
        Record::text("review-2", "Курьер приехал вовремя, но коробка была мятая."),
        Record::conversation(
            "call-7",
            vec![
                Turn::new("agent", "Thank you for calling, how can I help?"),
                Turn::new(
                    "customer",
                    "this is the third time I'm calling about my refund",
                ),
                Turn::new("agent", "I'm sorry for the inconvenience."),
                Turn::new("customer", "I wasn't happy, however the agent was polite"),
            ],
        ),
        Record::text("broken", "   "),
    ];
    for outcome in engine.analyze_batch(&records)? {
        match outcome.analysis() {
            Some(a) => {
                println!("{} [{} {}]", a.id, a.language, a.script);
                for c in &a.clauses {
                    let negated: Vec<&str> = c
                        .tokens
                        .iter()
                        .flatten()
                        .filter(|t| t.negated)
                        .map(|t| t.text.as_str())
                        .collect();
                    println!(
                        "  turn {:?} {:?} {}..{} [{}] {:?} negated: {:?}",
                        c.turn, c.role, c.start, c.end, c.language, c.text, negated
                    );
                }
            }
            None => {
                let e = outcome.error().expect("a failure has an error");
                println!("error: {e}");
            }
        }
    }
    Ok(())
}
