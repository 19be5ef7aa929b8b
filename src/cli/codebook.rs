//! `vocmine codebook check` and `codebook learn`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use vocmine::io::sink::create_file;

use vocmine::{CodebookSpec, Engine, Error};

use super::common::{encoder, ModelArgs};

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// The codebook file.
    pub(crate) file: PathBuf,
    /// Also write the codebook as YAML (e.g. to convert a CSV / XLSX table).
    #[arg(long)]
    pub(crate) yaml: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct LearnArgs {
    /// The codebook file.
    #[arg(long)]
    pub(crate) codebook: PathBuf,
    /// Gold file(s), JSON Lines (see corpora/codebooks/FORMAT.md); repeatable.
    #[arg(long, required = true)]
    pub(crate) gold: Vec<PathBuf>,
    /// Where to write the classifiers (default: the codebook's
    /// `settings.learned`, else `<codebook>.learned.json` beside it).
    #[arg(long, short)]
    pub(crate) out: Option<PathBuf>,
    /// Gradient steps.
    #[arg(long, default_value_t = 300)]
    pub(crate) epochs: usize,
    /// L2 penalty of the classifiers' weights.
    #[arg(long, default_value_t = 1e-4)]
    pub(crate) l2: f32,
    /// Value of a clause's lexical features (its words' stems, the Chinese
    /// characters and character pairs) in training, `scale / sqrt(count)`
    /// each; 0 fits the classifiers on the embedding and the rule and
    /// exemplar features alone.
    #[arg(long, default_value_t = 0.3)]
    pub(crate) term_scale: f32,
    /// L2 penalty of the lexical features' weights.
    #[arg(long, default_value_t = 1e-4)]
    pub(crate) term_l2: f32,
    /// Keep the codebook's learned classifiers (its `settings.learned`
    /// file) exactly as they are and fit only the point head from the gold's
    /// points (pain / mention / delight).
    #[arg(long)]
    pub(crate) points_only: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
}

pub(crate) fn codebook_check(c: CheckArgs) -> Result<(), Error> {
    let spec = CodebookSpec::load(&c.file)?;
    let leaves = spec
        .codes
        .iter()
        .filter(|x| {
            !spec
                .codes
                .iter()
                .any(|y| y.parent.as_deref() == Some(&x.id))
        })
        .count();
    let mut rules_by_lang: BTreeMap<&str, usize> = BTreeMap::new();
    let mut terms = 0usize;
    for code in &spec.codes {
        for (lang, r) in &code.rules {
            let rs = r.rules();
            terms += rs
                .iter()
                .map(|r| r.any.len() + r.all.len() + r.near.len() * 2)
                .sum::<usize>();
            *rules_by_lang.entry(lang).or_default() += rs.len();
        }
    }
    let exemplars: usize = spec.codes.iter().map(|c| c.exemplars.len()).sum();
    let stdout = io::stdout();
    let mut w = stdout.lock();
    writeln!(
        w,
        "{} ({}): valid · {} codes, {} leaves · rules {} · {} terms · {} exemplars{}",
        spec.codebook,
        c.file.display(),
        spec.codes.len(),
        leaves,
        if rules_by_lang.is_empty() {
            "none (zero-shot: labels, descriptions, exemplars)".to_owned()
        } else {
            rules_by_lang
                .iter()
                .map(|(l, n)| format!("{l} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        terms,
        exemplars,
        spec.learned_path()
            .map(|p| format!(" · learned {}", p.display()))
            .unwrap_or_default()
    )
    .and_then(|_| write!(w, "{}", spec.tree(None)))
    .map_err(|e| Error::io("-", e))?;
    if let Some(path) = &c.yaml {
        let mut f = create_file(path)?;
        f.write_all(spec.to_yaml()?.as_bytes())
            .and_then(|_| f.flush())
            .map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

pub(crate) fn codebook_learn(l: LearnArgs) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let spec = CodebookSpec::load(&l.codebook)?;
    let mut gold = Vec::new();
    for g in &l.gold {
        gold.extend(vocmine::stages::codebook::read_gold(g)?);
    }
    let mut b = Engine::builder().encoder(encoder(&l.model)?);
    if let Some(n) = l.threads {
        b = b.threads(n);
    }
    let engine = b.build()?;
    let opts = vocmine::stages::codebook::TrainOptions {
        epochs: l.epochs,
        l2: l.l2,
        term_scale: l.term_scale,
        term_l2: l.term_l2,
        ..Default::default()
    };
    let model = if l.points_only {
        let current = vocmine::stages::codebook::LearnedModel::of_codebook(&spec)?;
        vocmine::stages::codebook::learn_points(&engine, &spec, &gold, current, opts)?
    } else {
        vocmine::stages::codebook::learn(&engine, &spec, &gold, opts)?
    };
    let out = match (&l.out, spec.learned_path()) {
        (Some(o), _) => o.clone(),
        (None, Some(p)) => p,
        (None, None) => l.codebook.with_extension("learned.json"),
    };
    model.save(&out)?;
    say!(
        "{} {} codes of `{}` from {} texts in {:.1} s → {}",
        if l.points_only {
            "point head only; kept the classifiers of"
        } else {
            "learned"
        },
        model.codes.len(),
        spec.codebook,
        gold.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    if !model.codes.is_empty() && !l.points_only {
        say!(
            "kept where they raise the held-out micro F1 of all codes; a code's own F1 can drop \
             where its evidence without a classifier fired on many wrong texts"
        );
    }
    if !model.terms.is_empty() && !l.points_only {
        say!(
            "lexical features: {} terms (word stems, Chinese characters and pairs in 2+ texts); \
             each code's strongest follow it",
            model.terms.len()
        );
    }
    for c in &model.codes {
        let top = model.strongest_terms(c, 5);
        say!(
            "  {:<28} {:>5} positives · held-out F1 {:.3} (without it {:.3}){}",
            c.code,
            c.positives,
            c.heldout_f1,
            c.baseline_f1,
            if top.is_empty() {
                String::new()
            } else {
                format!(" · {}", top.join(", "))
            }
        );
    }
    match &model.points {
        Some(p) => say!(
            "point head: {} gold points · held-out accuracy {:.3} (the voice type's {:.3})",
            p.examples,
            p.heldout_accuracy,
            p.voice_accuracy
        ),
        None => say!(
            "points from the voice type (no point head: the gold gives fewer than 30 points, \
             or a head learned from them was not more accurate)"
        ),
    }
    if spec.learned_path().as_deref() != Some(out.as_path()) {
        say!(
            "add `learned: {}` under `settings:` in {} to use it",
            out.file_name()
                .map(|f| f.to_string_lossy())
                .unwrap_or_default(),
            l.codebook.display()
        );
    }
    Ok(())
}
