//! Draws a [`ReportData`] as one HTML file: inline CSS, SVG charts drawn
//! here, the data as JSON in the page, and a short script of our own for
//! the drill-down to the verbatims. It opens from disk with no network and
//! prints cleanly; every number is written as text beside its bar, so the
//! page reads without colour.

use std::fmt::Write as _;

use super::{HotIssues, ReportData, ReportOptions, UiLanguage};
use crate::corpus::analytics::compare::Comparison;
use crate::corpus::analytics::stats::Test;
use crate::corpus::keywords::{LanguageKeywords, Theme};
use crate::error::Result;

/// The labels of the page in one language.
struct Labels {
    contents: &'static str,
    overview: &'static str,
    journey: &'static str,
    owners: &'static str,
    drivers: &'static str,
    alerts: &'static str,
    verbatims: &'static str,
    records: &'static str,
    negative: &'static str,
    by_channel: &'static str,
    by_language: &'static str,
    by_week: &'static str,
    pain: &'static str,
    itch: &'static str,
    delight: &'static str,
    uncoded: &'static str,
    code: &'static str,
    owner: &'static str,
    touchpoint: &'static str,
    channel: &'static str,
    language: &'static str,
    week: &'static str,
    severity: &'static str,
    rule: &'static str,
    deadline: &'static str,
    reason: &'static str,
    all: &'static str,
    no_records: &'static str,
    no_scores: &'static str,
    no_touchpoints: &'static str,
    no_codes: &'static str,
    no_alerts: &'static str,
    no_times: &'static str,
    no_drivers: &'static str,
    quadrant: &'static str,
    fix_first: &'static str,
    watch: &'static str,
    keep: &'static str,
    leverage: &'static str,
    detractor_rate: &'static str,
    click_hint: &'static str,
    interval: &'static str,
    week_legend: &'static str,
    above: &'static str,
    near: &'static str,
    below: &'static str,
    hot_issues: &'static str,
    keywords: &'static str,
    before_after: &'static str,
    no_clusters: &'static str,
    no_keywords: &'static str,
    no_compare: &'static str,
    issue: &'static str,
    size: &'static str,
    hotness: &'static str,
    growth: &'static str,
    emerging: &'static str,
    new: &'static str,
    gap: &'static str,
    suggested: &'static str,
    theme: &'static str,
    count: &'static str,
    before: &'static str,
    after: &'static str,
    change: &'static str,
    metric: &'static str,
    fell: &'static str,
    rose: &'static str,
    no_change: &'static str,
    untested: &'static str,
    share_records: &'static str,
    pain_share: &'static str,
    cluster: &'static str,
    hot_legend: &'static str,
    compare_legend: &'static str,
    pains_per_week: &'static str,
    pain_delight: &'static str,
}

const EN: Labels = Labels {
    contents: "Contents",
    overview: "Overview",
    journey: "Journey map",
    owners: "Per owner",
    drivers: "Drivers of detractors",
    alerts: "Alerts",
    verbatims: "Verbatims",
    records: "records",
    negative: "negative",
    by_channel: "Records by channel",
    by_language: "Records by language",
    by_week: "Records and negative share per week",
    pain: "pain",
    itch: "itch",
    delight: "delight",
    uncoded: "not coded",
    code: "code",
    owner: "owner",
    touchpoint: "touchpoint",
    channel: "channel",
    language: "language",
    week: "week",
    severity: "severity",
    rule: "rule",
    deadline: "deadline",
    reason: "reason",
    all: "all",
    no_records: "No analyzed records in the input.",
    no_scores: "No survey scores in the input.",
    no_touchpoints: "The records have no touchpoints: no journey to draw.",
    no_codes: "No codes: analyze with a codebook (--codebook) to see points per owner.",
    no_alerts: "No alerts: analyze with alert rules (--alerts) to see them.",
    no_times: "The records have no times: no weekly trend to draw.",
    no_drivers: "No drivers: they need NPS answers and codes with enough records.",
    quadrant: "reading",
    fix_first: "fix first",
    watch: "watch",
    keep: "keep",
    leverage: "leverage",
    detractor_rate: "detractor rate with / without",
    click_hint: "Click a code, owner, touchpoint or alert to see the customers' words.",
    interval: "95% interval",
    week_legend: "Bars: records (number above). Red line and bottom row: share of records with negative sentiment.",
    above: "above the overall share",
    near: "near the overall share",
    below: "below the overall share",
    hot_issues: "Hot issues",
    keywords: "Keywords",
    before_after: "Before / after",
    no_clusters: "No hot issues: run vocmine cluster and pass its output with --clusters.",
    no_keywords: "No customer words to draw.",
    no_compare: "No before/after split: pass --compare FROM..TO,FROM..TO to check whether a change worked.",
    issue: "issue",
    size: "clauses",
    hotness: "hotness",
    growth: "growth",
    emerging: "emerging",
    new: "new",
    gap: "codebook gap",
    suggested: "suggested code",
    theme: "theme",
    count: "mentions",
    before: "before",
    after: "after",
    change: "change (95% interval)",
    metric: "measure",
    fell: "fell, and it is not chance",
    rose: "rose, and it is not chance",
    no_change: "no clear change: could be chance",
    untested: "too few records to test",
    share_records: "share of records",
    pain_share: "with a pain point",
    cluster: "hot issue",
    hot_legend: "Hotness = 100 × share of the current week × (1 + negative share) × growth against the week before. Emerging: new, or growing beyond chance.",
    compare_legend: "“Not chance” means p < 0.05 (for codes: q < 0.05 after correcting for the many codes tested).",
    pains_per_week: "Pain points per week",
    pain_delight: "pain / delight points",
};

const ZH: Labels = Labels {
    contents: "目录",
    overview: "总览",
    journey: "客户旅程图",
    owners: "责任部门",
    drivers: "贬损者驱动因素",
    alerts: "预警",
    verbatims: "原声",
    records: "条",
    negative: "负面",
    by_channel: "各渠道记录数",
    by_language: "各语言记录数",
    by_week: "每周记录数与负面占比",
    pain: "痛点",
    itch: "痒点",
    delight: "悦点",
    uncoded: "未编码",
    code: "编码",
    owner: "责任部门",
    touchpoint: "触点",
    channel: "渠道",
    language: "语言",
    week: "周",
    severity: "级别",
    rule: "规则",
    deadline: "截止时间",
    reason: "原因",
    all: "全部",
    no_records: "输入中没有已分析的记录。",
    no_scores: "输入中没有调研评分。",
    no_touchpoints: "记录没有触点，无法绘制旅程图。",
    no_codes: "没有编码：使用码框（--codebook）分析后可查看各部门的痛点。",
    no_alerts: "没有预警：使用预警规则（--alerts）分析后可查看。",
    no_times: "记录没有时间，无法绘制每周趋势。",
    no_drivers: "没有驱动因素：需要 NPS 评分和足够记录的编码。",
    quadrant: "解读",
    fix_first: "优先解决",
    watch: "关注",
    keep: "保持",
    leverage: "发扬",
    detractor_rate: "含/不含该编码的贬损者比例",
    click_hint: "点击编码、部门、触点或预警，查看客户原话。",
    interval: "95% 置信区间",
    week_legend: "柱：记录数（上方数字）。红线与底行：负面情感记录占比。",
    above: "高于整体",
    near: "接近整体",
    below: "低于整体",
    hot_issues: "热点问题",
    keywords: "关键词",
    before_after: "改善验证",
    no_clusters: "没有热点问题：运行 vocmine cluster，并用 --clusters 传入其输出。",
    no_keywords: "没有可绘制的客户用词。",
    no_compare: "没有前后对比：用 --compare FROM..TO,FROM..TO 验证改进是否有效。",
    issue: "问题",
    size: "子句数",
    hotness: "热度",
    growth: "增长",
    emerging: "新兴",
    new: "新出现",
    gap: "码框缺口",
    suggested: "建议编码",
    theme: "主题",
    count: "提及次数",
    before: "之前",
    after: "之后",
    change: "变化（95% 置信区间）",
    metric: "指标",
    fell: "下降，且不是偶然",
    rose: "上升，且不是偶然",
    no_change: "无明显变化：可能是偶然",
    untested: "记录太少，无法检验",
    share_records: "记录占比",
    pain_share: "含痛点",
    cluster: "热点问题",
    hot_legend:
        "热度 = 100 × 本周占比 × (1 + 负面占比) × 相对上周的增长。新兴：新出现或增长超出偶然。",
    compare_legend: "“不是偶然”指 p < 0.05（编码按多重检验校正后 q < 0.05）。",
    pains_per_week: "每周痛点数",
    pain_delight: "痛点 / 悦点",
};

const RU: Labels = Labels {
    contents: "Содержание",
    overview: "Обзор",
    journey: "Карта пути клиента",
    owners: "По ответственным",
    drivers: "Драйверы критиков",
    alerts: "Оповещения",
    verbatims: "Высказывания",
    records: "записей",
    negative: "негатив",
    by_channel: "Записи по каналам",
    by_language: "Записи по языкам",
    by_week: "Записи и доля негатива по неделям",
    pain: "боль",
    itch: "пожелание",
    delight: "восторг",
    uncoded: "без кода",
    code: "код",
    owner: "ответственный",
    touchpoint: "точка контакта",
    channel: "канал",
    language: "язык",
    week: "неделя",
    severity: "важность",
    rule: "правило",
    deadline: "срок",
    reason: "причина",
    all: "все",
    no_records: "Во входных данных нет проанализированных записей.",
    no_scores: "Во входных данных нет оценок опросов.",
    no_touchpoints: "У записей нет точек контакта: карту пути не построить.",
    no_codes: "Кодов нет: анализ с кодификатором (--codebook) покажет боли по ответственным.",
    no_alerts: "Оповещений нет: анализ с правилами (--alerts) покажет их.",
    no_times: "У записей нет времени: недельный тренд не построить.",
    no_drivers: "Драйверов нет: нужны ответы NPS и коды с достаточным числом записей.",
    quadrant: "вывод",
    fix_first: "исправить в первую очередь",
    watch: "наблюдать",
    keep: "сохранять",
    leverage: "развивать",
    detractor_rate: "доля критиков с кодом / без",
    click_hint: "Нажмите на код, ответственного, точку контакта или оповещение, чтобы увидеть слова клиентов.",
    interval: "95% интервал",
    week_legend: "Столбцы: записи (число сверху). Красная линия и нижний ряд: доля записей с негативом.",
    above: "выше общей доли",
    near: "около общей доли",
    below: "ниже общей доли",
    hot_issues: "Горячие темы",
    keywords: "Ключевые слова",
    before_after: "До / после",
    no_clusters: "Горячих тем нет: запустите vocmine cluster и передайте результат через --clusters.",
    no_keywords: "Нет слов клиентов для облака.",
    no_compare: "Сравнения нет: передайте --compare FROM..TO,FROM..TO, чтобы проверить, сработало ли изменение.",
    issue: "тема",
    size: "фраз",
    hotness: "горячесть",
    growth: "рост",
    emerging: "растущая",
    new: "новая",
    gap: "пробел кодификатора",
    suggested: "предлагаемый код",
    theme: "тема",
    count: "упоминаний",
    before: "до",
    after: "после",
    change: "изменение (95% интервал)",
    metric: "показатель",
    fell: "снизилось, и это не случайность",
    rose: "выросло, и это не случайность",
    no_change: "явного изменения нет: может быть случайностью",
    untested: "слишком мало записей для проверки",
    share_records: "доля записей",
    pain_share: "с болью",
    cluster: "горячая тема",
    hot_legend: "Горячесть = 100 × доля текущей недели × (1 + доля негатива) × рост к прошлой неделе. Растущая: новая или растёт сверх случайного.",
    compare_legend: "«Не случайность» — p < 0,05 (для кодов q < 0,05 с поправкой на множество проверенных кодов).",
    pains_per_week: "Боли по неделям",
    pain_delight: "боли / восторги",
};

fn labels(l: UiLanguage) -> &'static Labels {
    match l {
        UiLanguage::En => &EN,
        UiLanguage::Zh => &ZH,
        UiLanguage::Ru => &RU,
    }
}

/// HTML text and attribute escaping.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A horizontal bar chart: one row per item, the value as text beside the
/// bar; `attr` gives each row's drill-down attribute (`data-…="…"`).
fn bars(items: &[(String, f64, String)], attr: Option<&str>) -> String {
    if items.is_empty() {
        return String::new();
    }
    let max = items.iter().map(|i| i.1).fold(0.0f64, f64::max).max(1e-9);
    let row_h = 22;
    let h = row_h * items.len() + 4;
    let mut s = format!(
        "<svg class=\"bars\" viewBox=\"0 0 640 {h}\" width=\"640\" height=\"{h}\" role=\"img\">"
    );
    for (i, (label, value, text)) in items.iter().enumerate() {
        let y = i * row_h + 2;
        let w = (value / max * 300.0).max(1.0);
        let data = attr
            .map(|a| format!(" class=\"drill\" data-{a}=\"{}\"", esc(label)))
            .unwrap_or_default();
        let _ = write!(
            s,
            "<g{data}><title>{t}: {v}</title><text x=\"0\" y=\"{ty}\" class=\"lbl\">{t}</text>\
             <rect x=\"180\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" class=\"bar\"></rect>\
             <text x=\"{tx:.1}\" y=\"{ty}\" class=\"val\">{v}</text></g>",
            t = esc(label),
            v = esc(text),
            ty = y + 13,
            tx = 186.0 + w,
        );
    }
    s.push_str("</svg>");
    s
}

/// Records per week (bars) and the negative share (a line), with the
/// values as text.
fn weekly(data: &ReportData) -> String {
    let periods = &data.metrics.trends.periods;
    if periods.is_empty() {
        return String::new();
    }
    let n = periods.len();
    let step = (600.0 / n as f64).min(60.0);
    let max = periods.iter().map(|p| p.records).max().unwrap_or(1).max(1) as f64;
    let mut s = String::from(
        "<svg class=\"weekly\" viewBox=\"0 0 640 222\" width=\"640\" height=\"222\" role=\"img\">",
    );
    let mut line = String::new();
    for (i, p) in periods.iter().enumerate() {
        let x = 20.0 + i as f64 * step;
        let h = p.records as f64 / max * 140.0;
        let _ = write!(
            s,
            "<g class=\"drill\" data-week=\"{k}\"><title>{k}: {r}, {neg}</title>\
             <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" class=\"bar\"></rect>\
             <text x=\"{x:.1}\" y=\"{ty:.1}\" class=\"tick\">{r}</text>\
             <text x=\"{x:.1}\" y=\"200\" class=\"tick\">{short}</text>\
             <text x=\"{x:.1}\" y=\"214\" class=\"tick neg\">{neg}</text></g>",
            k = esc(&p.key),
            r = p.records,
            neg = pct(p.negative_share),
            y = 170.0 - h,
            ty = 166.0 - h,
            w = step * 0.7,
            short = esc(p.key.get(5..).unwrap_or(&p.key)),
        );
        let ly = 170.0 - p.negative_share * 140.0;
        let _ = write!(line, "{:.1},{ly:.1} ", x + step * 0.35);
    }
    let _ = write!(
        s,
        "<polyline points=\"{}\" class=\"line\"></polyline></svg>",
        line.trim_end()
    );
    s
}

/// Small bars of counts per week, each count written above its bar.
fn sparkline(points: &[(String, u64)]) -> String {
    let n = points.len().max(1);
    let step = (600.0 / n as f64).min(40.0);
    let max = points.iter().map(|p| p.1).max().unwrap_or(1).max(1) as f64;
    let width = 20.0 + step * n as f64;
    let mut s = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {width:.0} 70\" width=\"{width:.0}\" height=\"70\" role=\"img\">"
    );
    for (i, (week, count)) in points.iter().enumerate() {
        let x = 10.0 + i as f64 * step;
        let h = *count as f64 / max * 40.0;
        let _ = write!(
            s,
            "<g class=\"drill\" data-week=\"{w}\"><title>{w}: {count}</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{h:.1}\" class=\"bar pain\"></rect><text x=\"{x:.1}\" y=\"{ty:.1}\" class=\"tick\">{count}</text><text x=\"{x:.1}\" y=\"68\" class=\"tick\">{short}</text></g>",
            w = esc(week),
            y = 56.0 - h,
            ty = 53.0 - h,
            bw = step * 0.7,
            short = esc(week.get(6..).unwrap_or(week)),
        );
    }
    s.push_str("</svg>");
    s
}

/// The reading of a driver: codes that raise the detractor rate are fixed
/// first when frequent and watched when rare; codes that lower it are kept
/// when frequent and leveraged when rare.
fn quadrant(l: &Labels, share: f64, diff: f64, median_share: f64) -> &'static str {
    match (diff > 0.0, share >= median_share) {
        (true, true) => l.fix_first,
        (true, false) => l.watch,
        (false, true) => l.keep,
        (false, false) => l.leverage,
    }
}

/// A word cloud of themes, laid out here: the biggest in the middle, each
/// next one on an elliptic spiral out from the centre at the first place
/// where its box overlaps no other; font size grows with the square root
/// of the score. Words that find no place stay in the table beside it.
fn word_cloud(themes: &[Theme]) -> String {
    const W: f64 = 640.0;
    const H: f64 = 300.0;
    if themes.is_empty() {
        return String::new();
    }
    let max = themes.iter().map(|t| t.score).fold(0.0f64, f64::max);
    let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new(); // x0, y0, x1, y1
    let mut s = format!(
        "<svg class=\"cloud\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\">"
    );
    for (rank, t) in themes.iter().enumerate() {
        let rel = if max > 0.0 { t.score / max } else { 1.0 };
        let size = 11.0 + 23.0 * rel.sqrt();
        let width: f64 = t
            .term
            .chars()
            .map(|c| {
                // generous advance widths (bold, wide sans fonts): a box
                // too wide leaves a gap, one too narrow an overlap
                if crate::text::normalize::is_han(c) || c as u32 >= 0x3000 {
                    size * 1.08
                } else if c.is_uppercase()
                    || c == 'm'
                    || c == 'w'
                    || c == 'ш'
                    || c == 'щ'
                    || c == 'ж'
                {
                    size * 0.9
                } else {
                    size * 0.66
                }
            })
            .sum::<f64>()
            + 8.0;
        let height = size * 1.25;
        let mut spot = None;
        for step in 0..4000 {
            let a = step as f64 * 0.1;
            let r = 1.4 * a;
            let (cx, cy) = (W / 2.0 + 1.7 * r * a.cos(), H / 2.0 + r * a.sin());
            let b = (
                cx - width / 2.0,
                cy - height / 2.0,
                cx + width / 2.0,
                cy + height / 2.0,
            );
            if b.0 < 0.0 || b.1 < 0.0 || b.2 > W || b.3 > H {
                continue;
            }
            let free = placed
                .iter()
                .all(|p| b.2 <= p.0 || b.0 >= p.2 || b.3 <= p.1 || b.1 >= p.3);
            if free {
                spot = Some(b);
                break;
            }
        }
        let Some(b) = spot else {
            continue;
        };
        placed.push(b);
        let _ = write!(
            s,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" style=\"font-size:{size:.1}px\" class=\"word drill r{r}\" data-theme=\"{t}\"><title>{t}: {n}</title>{t}</text>",
            x = (b.0 + b.2) / 2.0,
            y = (b.1 + b.3) / 2.0,
            r = rank.min(3),
            t = esc(&t.term),
            n = t.count,
        );
    }
    s.push_str("</svg>");
    s
}

/// The keywords section: per language a cloud and the table beside it.
fn keywords_section(h: &mut String, l: &Labels, keywords: &[LanguageKeywords]) {
    let _ = write!(h, "<section id=\"keywords\"><h2>{}</h2>", l.keywords);
    let drawn: Vec<&LanguageKeywords> = keywords.iter().filter(|k| !k.themes.is_empty()).collect();
    if drawn.is_empty() {
        let _ = write!(h, "<p class=\"missing\">{}</p>", l.no_keywords);
    }
    for k in drawn {
        let _ = write!(
            h,
            "<h3 lang=\"{lang}\">{lang} · {n} {rec}</h3><div class=\"cloudbox\">{cloud}<table class=\"themes\"><thead><tr><th>{th}</th><th>{c}</th><th>{r}</th></tr></thead><tbody>",
            lang = esc(&k.language),
            n = k.documents,
            rec = l.records,
            cloud = word_cloud(&k.themes),
            th = l.theme,
            c = l.count,
            r = l.records,
        );
        for t in &k.themes {
            let _ = write!(
                h,
                "<tr><td><a class=\"drill\" data-theme=\"{t}\">{t}</a></td><td>{}</td><td>{}</td></tr>",
                t.count,
                t.df,
                t = esc(&t.term)
            );
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</section>");
}

/// The hot issues section.
fn hot_issues_section(h: &mut String, l: &Labels, lang: UiLanguage, hot: Option<&HotIssues>) {
    let _ = write!(h, "<section id=\"hot\"><h2>{}</h2>", l.hot_issues);
    let Some(hot) = hot.filter(|x| !x.issues.is_empty()) else {
        let _ = write!(h, "<p class=\"missing\">{}</p></section>", l.no_clusters);
        return;
    };
    let _ = write!(
        h,
        "<p class=\"legend\">{} (n = {} {})</p>",
        l.hot_legend, hot.clustered, l.size
    );
    let _ = write!(
        h,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th><th>{}</th></tr></thead><tbody>",
        l.issue, l.size, l.hotness, l.growth, l.negative, l.code
    );
    let ui: &'static str = lang.into();
    for i in &hot.issues {
        let label = i.labels.get(ui).unwrap_or(&i.label);
        let others: Vec<String> = i
            .labels
            .iter()
            .filter(|(k, v)| k.as_str() != ui && *v != label)
            .map(|(k, v)| format!("<span lang=\"{k}\">{k}: {}</span>", esc(v), k = esc(k)))
            .collect();
        let mut tags = Vec::new();
        if i.new {
            tags.push(l.new);
        } else if i.emerging {
            tags.push(l.emerging);
        }
        if i.gap {
            tags.push(l.gap);
        }
        let growth = match i.p_value {
            Some(p) => format!(
                "×{:.2} ({}; {}→{})",
                i.growth,
                p_text(p),
                i.previous,
                i.current
            ),
            None => format!("×{:.2} ({}→{})", i.growth, i.previous, i.current),
        };
        let codes = match &i.suggested_code {
            Some(c) => format!("{}: <b>{}</b>", l.suggested, esc(c)),
            None => i
                .codes
                .iter()
                .take(3)
                .map(|(c, sh)| {
                    format!(
                        "<a class=\"drill\" data-code=\"{0}\">{0}</a> {1}",
                        esc(c),
                        pct(*sh)
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        };
        let _ = write!(
            h,
            "<tr class=\"drill\" data-cluster=\"{id}\"><td><b>{label}</b><br><small>{others}</small></td><td>{size} ({share})</td><td>{score:.2}</td><td>{growth}</td><td>{neg}</td><td>{tags}</td><td>{codes}</td></tr>",
            id = i.id,
            label = esc(label),
            others = others.join(" · "),
            size = i.size,
            share = pct(i.share),
            score = i.score,
            neg = pct(i.negative_share),
            tags = tags.join(", "),
        );
    }
    h.push_str("</tbody></table></section>");
}

/// How a test reads to a non-statistician.
fn reading(l: &Labels, test: Option<&Test>, significant: Option<bool>) -> String {
    match test {
        None => l.untested.to_owned(),
        Some(t) => {
            let sig = significant.unwrap_or(t.significant);
            match (sig, t.diff < 0.0) {
                (true, true) => format!("▼ {}", l.fell),
                (true, false) => format!("▲ {}", l.rose),
                (false, _) => format!("≈ {}", l.no_change),
            }
        }
    }
}

/// A p-value as people write it (`p<0.001` below a thousandth).
fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".into()
    } else {
        format!("p={p:.3}")
    }
}

/// A difference with its interval, in the unit `scale` turns it into.
fn diff_text(t: Option<&Test>, scale: f64, unit: &str, digits: usize) -> String {
    match t {
        None => "–".into(),
        Some(t) => format!(
            "{:+.d$}{unit} ({:+.d$}…{:+.d$}), {}",
            t.diff * scale,
            t.ci.low * scale,
            t.ci.high * scale,
            p_text(t.p_value),
            d = digits
        ),
    }
}

/// The before/after section.
fn compare_section(h: &mut String, l: &Labels, splits: &[Comparison]) {
    let _ = write!(h, "<section id=\"compare\"><h2>{}</h2>", l.before_after);
    if splits.is_empty() {
        let _ = write!(h, "<p class=\"missing\">{}</p></section>", l.no_compare);
        return;
    }
    let _ = write!(h, "<p class=\"legend\">{}</p>", l.compare_legend);
    for c in splits {
        let _ = write!(
            h,
            "<h3>{b} ({nb} {rec}) → {a} ({na} {rec})</h3><table><thead><tr><th>{m}</th><th>{bl}</th><th>{al}</th><th>{ch}</th><th></th></tr></thead><tbody>",
            b = c.before_range,
            a = c.after_range,
            nb = c.before.records,
            na = c.after.records,
            rec = l.records,
            m = l.metric,
            bl = l.before,
            al = l.after,
            ch = l.change,
        );
        let mut row = |name: &str,
                       before: String,
                       after: String,
                       t: Option<&Test>,
                       diff: String| {
            let _ = write!(
                h,
                "<tr><td>{name}</td><td>{before}</td><td>{after}</td><td>{diff}</td><td>{}</td></tr>",
                reading(l, t, None)
            );
        };
        let (b, a, ch) = (&c.before, &c.after, &c.changes);
        // each score shown where either range has it: the value with its
        // n, and the test of the change
        type Stat = fn(&crate::corpus::analytics::metrics::Metrics) -> Option<String>;
        let scores: [(&str, Stat, Option<&Test>, &str, usize); 3] = [
            (
                "NPS",
                |m| {
                    m.nps
                        .as_ref()
                        .map(|n| format!("{:.1} (n={})", n.nps, n.responses))
                },
                ch.nps.as_ref(),
                "",
                1,
            ),
            (
                "CSAT",
                |m| {
                    m.csat
                        .as_ref()
                        .map(|n| format!("{:.1}% (n={})", n.csat, n.responses))
                },
                ch.csat.as_ref(),
                " pts",
                1,
            ),
            (
                "CES",
                |m| {
                    m.ces
                        .as_ref()
                        .map(|n| format!("{:.2} (n={})", n.mean, n.responses))
                },
                ch.ces.as_ref(),
                "",
                2,
            ),
        ];
        for (name, stat, test, unit, digits) in scores {
            let (before, after) = (stat(b), stat(a));
            if before.is_none() && after.is_none() {
                continue;
            }
            let dash = || "–".to_owned();
            row(
                name,
                before.unwrap_or_else(dash),
                after.unwrap_or_else(dash),
                test,
                diff_text(test, 1.0, unit, digits),
            );
        }
        row(
            l.negative,
            format!("{} (n={})", pct(b.negative_share()), b.records),
            format!("{} (n={})", pct(a.negative_share()), a.records),
            ch.negative.as_ref(),
            diff_text(ch.negative.as_ref(), 100.0, " pts", 1),
        );
        h.push_str("</tbody></table>");
        if c.codes.is_empty() {
            continue;
        }
        let _ = write!(
            h,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{} ({})</th><th>{}</th><th>q</th><th></th><th>{}</th></tr></thead><tbody>",
            l.code, l.owner, l.share_records, format_args!("{} → {}", l.before, l.after), l.change, l.pain_share
        );
        for x in c.codes.iter().take(12) {
            let sig = x.test.as_ref().map(|_| x.q_value.is_some_and(|q| q < 0.05));
            let _ = write!(
                h,
                "<tr><td><a class=\"drill\" data-code=\"{code}\">{code}</a></td><td>{owner}</td><td>{b} → {a}</td><td>{d}</td><td>{q}</td><td>{r}</td><td>{pb} → {pa}</td></tr>",
                code = esc(&x.code),
                owner = esc(x.owner.as_deref().unwrap_or("-")),
                b = pct(x.before.share),
                a = pct(x.after.share),
                d = diff_text(x.test.as_ref(), 100.0, " pts", 1),
                q = x.q_value.map(|q| format!("{q:.3}")).unwrap_or_default(),
                r = reading(l, x.test.as_ref(), sig),
                pb = pct(x.pain_before.share),
                pa = pct(x.pain_after.share),
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");
}

/// The page.
pub fn render(data: &ReportData, opts: &ReportOptions) -> Result<String> {
    let l = labels(opts.language);
    let m = &data.metrics;
    let mut h = String::with_capacity(64 * 1024);
    let lang: &'static str = opts.language.into();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>{css}</style></head><body>",
        t = esc(&data.title),
        css = CSS,
    );
    let _ = write!(
        h,
        "<header><h1>{}</h1><p class=\"meta\">{} · {} {}</p></header>",
        esc(&data.title),
        esc(m.input.file.as_deref().unwrap_or("")),
        m.input.analyzed,
        l.records
    );
    let sections = [
        ("overview", l.overview),
        ("journey", l.journey),
        ("owners", l.owners),
        ("drivers", l.drivers),
        ("hot", l.hot_issues),
        ("keywords", l.keywords),
        ("alerts", l.alerts),
        ("compare", l.before_after),
        ("verbatims", l.verbatims),
    ];
    let _ = write!(h, "<nav><h2>{}</h2><ol>", l.contents);
    for (id, name) in sections {
        let _ = write!(h, "<li><a href=\"#{id}\">{name}</a></li>");
    }
    let _ = write!(h, "</ol><p class=\"hint\">{}</p></nav>", l.click_hint);

    // 1. overview
    let _ = write!(h, "<section id=\"overview\"><h2>{}</h2>", l.overview);
    if m.input.analyzed == 0 {
        let _ = write!(h, "<p class=\"missing\">{}</p>", l.no_records);
    }
    let o = &m.overall;
    h.push_str("<div class=\"cards\">");
    let _ = write!(
        h,
        "<div class=\"card\"><b>{}</b><span>{}</span></div>",
        o.records, l.records
    );
    let _ = write!(
        h,
        "<div class=\"card\"><b>{}</b><span>{} (n={})</span></div>",
        pct(o.negative_share()),
        l.negative,
        o.records
    );
    if let Some(n) = &o.nps {
        let _ = write!(
            h,
            "<div class=\"card\" id=\"kpi-nps\"><b>NPS {:.1}</b><span>{} {:.1}…{:.1}, n={}</span></div>",
            n.nps, l.interval, n.ci.low, n.ci.high, n.responses
        );
    }
    if let Some(c) = &o.csat {
        let _ = write!(
            h,
            "<div class=\"card\" id=\"kpi-csat\"><b>CSAT {:.1}%</b><span>{} {:.1}…{:.1}%, n={}</span></div>",
            c.csat, l.interval, c.ci.low, c.ci.high, c.responses
        );
    }
    if let Some(c) = &o.ces {
        let ci =
            c.ci.map(|i| format!("{} {:.2}…{:.2}, ", l.interval, i.low, i.high))
                .unwrap_or_default();
        let _ = write!(
            h,
            "<div class=\"card\" id=\"kpi-ces\"><b>CES {:.2}</b><span>{ci}n={}</span></div>",
            c.mean, c.responses
        );
    }
    let v = &data.voices;
    if v.records > 0 {
        let _ = write!(
            h,
            "<div class=\"card\"><b>{} / {} / {}</b><span>{} / {} / {} ({} {} / {}: {} / {})</span></div>",
            v.pain,
            v.itch,
            v.delight,
            l.pain,
            l.itch,
            l.delight,
            l.uncoded,
            l.pain,
            l.itch,
            v.uncoded_pain,
            v.uncoded_itch
        );
    }
    h.push_str("</div>");
    if o.nps.is_none() && o.csat.is_none() && o.ces.is_none() && m.input.analyzed > 0 {
        let _ = write!(h, "<p class=\"missing\">{}</p>", l.no_scores);
    }
    if let Some(ch) = m
        .slices
        .iter()
        .find(|s| s.by == crate::corpus::analytics::Slice::Channel)
    {
        let items: Vec<(String, f64, String)> = ch
            .slices
            .iter()
            .filter_map(|s| {
                let k = s.key.clone()?;
                Some((
                    k,
                    s.metrics.records as f64,
                    format!(
                        "{} · {} {}",
                        s.metrics.records,
                        pct(s.metrics.negative_share()),
                        l.negative
                    ),
                ))
            })
            .collect();
        if !items.is_empty() {
            let _ = write!(
                h,
                "<h3>{}</h3>{}",
                l.by_channel,
                bars(&items, Some("channel"))
            );
        }
    }
    if !data.languages.is_empty() {
        let mut items: Vec<(String, f64, String)> = data
            .languages
            .iter()
            .map(|(k, n)| (k.clone(), *n as f64, n.to_string()))
            .collect();
        items.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let _ = write!(
            h,
            "<h3>{}</h3>{}",
            l.by_language,
            bars(&items, Some("language"))
        );
    }
    let _ = write!(
        h,
        "<h3>{}</h3><p class=\"legend\">{}</p>",
        l.by_week, l.week_legend
    );
    let w = weekly(data);
    if w.is_empty() {
        let _ = write!(h, "<p class=\"missing\">{}</p>", l.no_times);
    } else {
        h.push_str(&w);
    }
    h.push_str("</section>");

    // 2. journey
    let _ = write!(h, "<section id=\"journey\"><h2>{}</h2>", l.journey);
    if data.journey.is_empty() {
        let _ = write!(h, "<p class=\"missing\">{}</p>", l.no_touchpoints);
    } else {
        h.push_str("<div class=\"journey\">");
        for st in &data.journey {
            // friction stands out against the corpus, not a fixed bar
            let overall = o.negative_share();
            let (level, reading) = if st.negative_share >= overall + 0.1 {
                ("bad", l.above)
            } else if st.negative_share <= overall - 0.1 {
                ("good", l.below)
            } else {
                ("mid", l.near)
            };
            let nps = st
                .nps
                .map(|(v, lo, hi)| format!("NPS {v:.1} ({lo:.1}…{hi:.1}, n={})", st.nps_responses))
                .unwrap_or_default();
            let _ = write!(
                h,
                "<div class=\"stage {level} drill\" data-touchpoint=\"{tp}\"><h3>{tp}</h3>\
                 <p>{r} {rec} · {neg} {negl} ({reading}) · {nps}</p>",
                tp = esc(&st.touchpoint),
                r = st.records,
                rec = l.records,
                neg = pct(st.negative_share),
                negl = l.negative,
            );
            for (name, list) in [
                (l.pain, &st.pains),
                (l.itch, &st.itches),
                (l.delight, &st.delights),
            ] {
                if list.is_empty() {
                    continue;
                }
                let _ = write!(h, "<p><b>{name}:</b> ");
                let items: Vec<String> = list
                    .iter()
                    .map(|(c, n)| {
                        format!("<a class=\"drill\" data-code=\"{0}\">{0}</a> ({n})", esc(c))
                    })
                    .collect();
                h.push_str(&items.join(", "));
                h.push_str("</p>");
            }
            h.push_str("</div>");
        }
        h.push_str("</div>");
    }
    h.push_str("</section>");

    // 3. owners
    let _ = write!(h, "<section id=\"owners\"><h2>{}</h2>", l.owners);
    if data.owners.is_empty() {
        let _ = write!(h, "<p class=\"missing\">{}</p>", l.no_codes);
    }
    for ow in &data.owners {
        let _ = write!(
            h,
            "<h3 class=\"drill\" data-owner=\"{o}\">{o}</h3><p>{al}: {n}</p>",
            o = esc(&ow.owner),
            al = l.alerts,
            n = ow.alerts
        );
        // the alerts routed to it, most severe first, with their deadlines
        let mine: Vec<&super::AlertItem> = data
            .alerts
            .iter()
            .filter(|a| a.owner.as_deref().unwrap_or("-") == ow.owner)
            .take(5)
            .collect();
        if !mine.is_empty() {
            h.push_str("<ul class=\"owner-alerts\">");
            for a in mine {
                let _ = write!(
                    h,
                    "<li class=\"sev-{sev}\"><b>{sev}</b> · {rule} · {dl}: {deadline} · {id}</li>",
                    sev = esc(&a.severity),
                    rule = esc(&a.rule),
                    dl = l.deadline,
                    deadline = esc(a.deadline.as_deref().unwrap_or("–")),
                    id = esc(&a.id),
                );
            }
            h.push_str("</ul>");
        }
        if ow.weekly_pains.iter().any(|(_, n)| *n > 0) {
            let _ = write!(h, "<p class=\"legend\">{}</p>", l.pains_per_week);
            h.push_str(&sparkline(&ow.weekly_pains));
        }
        if ow.codes.is_empty() {
            continue;
        }
        let _ = write!(
            h,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            l.code, l.pain, l.itch, l.delight, l.records
        );
        for c in &ow.codes {
            let _ = write!(
                h,
                "<tr><td><a class=\"drill\" data-code=\"{c}\">{c}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                c.pain,
                c.itch,
                c.delight,
                c.records,
                c = esc(&c.code)
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");

    // 4. drivers
    let _ = write!(h, "<section id=\"drivers\"><h2>{}</h2>", l.drivers);
    let det = m.drivers.as_ref().and_then(|d| d.get("detractor"));
    match det.filter(|d| !d.drivers.is_empty()) {
        None => {
            let _ = write!(h, "<p class=\"missing\">{}</p>", l.no_drivers);
        }
        Some(d) => {
            let share = |with: u64| with as f64 / d.responses.max(1) as f64;
            let mut shares: Vec<f64> = d.drivers.iter().map(|x| share(x.with)).collect();
            shares.sort_by(f64::total_cmp);
            let median = shares.get(shares.len() / 2).copied().unwrap_or(0.0);
            let _ = write!(
                h,
                "<table><thead><tr><th>{}</th><th>{}</th><th>n</th><th>{}</th><th>q</th><th>{}</th><th>{}</th></tr></thead><tbody>",
                l.code, l.owner, l.detractor_rate, l.quadrant, l.pain_delight
            );
            // pains and delights apart: a code praised more than it is
            // blamed reads as an attractive quality, not a fault
            let points: std::collections::HashMap<&str, (u64, u64)> = data
                .owners
                .iter()
                .flat_map(|o| o.codes.iter())
                .map(|c| (c.code.as_str(), (c.pain, c.delight)))
                .collect();
            for x in &d.drivers {
                let (pain, delight) = points.get(x.code.as_str()).copied().unwrap_or((0, 0));
                let _ = write!(
                    h,
                    "<tr><td><a class=\"drill\" data-code=\"{c}\">{c}</a></td><td>{o}</td><td>{n}</td>\
                     <td>{a} / {b}</td><td>{q}</td><td>{quad}</td><td>{pain} / {delight}</td></tr>",
                    c = esc(&x.code),
                    o = esc(x.owner.as_deref().unwrap_or("-")),
                    n = x.with,
                    a = pct(x.rate_with),
                    b = pct(x.rate_without),
                    q = x.q_value.map(|q| format!("{q:.3}")).unwrap_or_default(),
                    quad = quadrant(l, share(x.with), x.diff, median),
                );
            }
            h.push_str("</tbody></table>");
        }
    }
    h.push_str("</section>");

    // 5. hot issues, 6. keywords
    hot_issues_section(&mut h, l, opts.language, data.hot_issues.as_ref());
    keywords_section(&mut h, l, &data.keywords);

    // 7. alerts
    let _ = write!(h, "<section id=\"alerts\"><h2>{}</h2>", l.alerts);
    if data.alerts_total == 0 {
        let _ = write!(h, "<p class=\"missing\">{}</p>", l.no_alerts);
    } else {
        let items: Vec<(String, f64, String)> = super::SEVERITIES
            .iter()
            .filter_map(|s| {
                data.alert_counts
                    .get(*s)
                    .map(|n| (s.to_string(), *n as f64, n.to_string()))
            })
            .collect();
        h.push_str(&bars(&items, None));
        let _ = write!(
            h,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
            l.severity, l.rule, l.owner, l.deadline, l.reason
        );
        for a in &data.alerts {
            let quote = match (&a.text, a.span) {
                (Some(t), Some((s, e))) => {
                    let chars: Vec<char> = t.chars().collect();
                    let (s, e) = (
                        s.min(chars.len()),
                        e.min(chars.len()).max(s.min(chars.len())),
                    );
                    let part = |a: usize, b: usize| esc(&chars[a..b].iter().collect::<String>());
                    format!(
                        "{}<mark>{}</mark>{}",
                        part(0, s),
                        part(s, e),
                        part(e, chars.len())
                    )
                }
                (Some(t), None) => esc(t),
                _ => String::new(),
            };
            let _ = write!(
                h,
                "<tr class=\"sev-{sev}\"><td>{sev}</td><td>{rule}</td><td class=\"drill\" data-owner=\"{o}\">{o}</td>\
                 <td>{dl}</td><td>{reason}</td><td>{quote}</td></tr>",
                sev = esc(&a.severity),
                rule = esc(&a.rule),
                o = esc(a.owner.as_deref().unwrap_or("-")),
                dl = esc(a.deadline.as_deref().unwrap_or("")),
                reason = esc(&a.reason),
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");

    // 8. before / after
    compare_section(&mut h, l, &data.compare);

    // 9. verbatims (filled by the script from the data)
    let _ = write!(
        h,
        "<section id=\"verbatims\"><h2>{}</h2><div class=\"filters\">",
        l.verbatims
    );
    for (key, name) in [
        ("code", l.code),
        ("owner", l.owner),
        ("channel", l.channel),
        ("touchpoint", l.touchpoint),
        ("language", l.language),
        ("week", l.week),
        ("theme", l.theme),
        ("cluster", l.cluster),
    ] {
        let _ = write!(
            h,
            "<label>{name} <select data-filter=\"{key}\"><option value=\"\">{}</option></select></label> ",
            l.all
        );
    }
    h.push_str("</div><p id=\"vcount\"></p><ul id=\"vlist\"></ul></section>");

    let json = serde_json::to_string(data)?;
    // `</` cannot end the script element early
    let json = json.replace("</", "<\\/");
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"vocmine-data\">{json}</script><script>{JS}</script></body></html>"
    );
    Ok(h)
}

const CSS: &str = "body{font-family:system-ui,'Noto Sans CJK SC','Noto Sans',sans-serif;margin:0 auto;max-width:1000px;padding:1em;color:#222}\
header h1{margin-bottom:.2em}.meta{color:#555}nav ol{columns:2}\
section{border-top:1px solid #ccc;margin-top:1.5em;padding-top:.5em}\
.cards{display:flex;flex-wrap:wrap;gap:.6em}.card{border:1px solid #bbb;border-radius:6px;padding:.5em .8em;min-width:9em}\
.card b{display:block;font-size:1.3em}.card span{color:#444;font-size:.85em}\
.missing{background:#f6f6f6;border-left:4px solid #999;padding:.4em .8em}\
svg text{font-size:12px;fill:#222}.bar{fill:#4a78b5}.line{fill:none;stroke:#c0392b;stroke-width:2}.tick{font-size:10px}.neg{fill:#c0392b}.legend{color:#555;font-size:.85em}\
table{border-collapse:collapse;margin:.5em 0;width:100%}th,td{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}\
.journey{display:flex;flex-wrap:wrap;gap:.6em}.stage{border:2px solid #999;border-radius:6px;padding:.4em .7em;flex:1 1 14em}\
.stage.bad{border-color:#c0392b;border-style:double;border-width:4px}.stage.mid{border-color:#e67e22;border-style:dashed}.stage.good{border-color:#27ae60}\
.drill{cursor:pointer}a.drill{color:#1a5490;text-decoration:underline}mark{background:#ffe08a}\
#vlist li{margin:.3em 0}.vmeta{color:#555;font-size:.85em}\
.cloudbox{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.cloud{flex:none;max-width:100%;height:auto}.themes{width:auto;font-size:.85em}.themes td,.themes th{padding:.05em .4em}\
.bar.pain{fill:#b5524a}.owner-alerts{font-size:.9em;margin:.2em 0}.word{fill:#1a5490;text-anchor:middle;dominant-baseline:central}.word.r0{fill:#0d3560;font-weight:bold}.word.r1,.word.r2{fill:#174a80;font-weight:bold}tr.drill:hover,.word:hover{opacity:.7}\
@media print{nav .hint,.filters{display:none}section{break-inside:avoid-page}}";

const JS: &str = r#"(function(){
var data=JSON.parse(document.getElementById('vocmine-data').textContent);
var vs=data.verbatims||[];var keys=['code','owner','channel','touchpoint','language','week','theme','cluster'];
var sel={};keys.forEach(function(k){var s=document.querySelector('select[data-filter="'+k+'"]');sel[k]=s;
var vals={};vs.forEach(function(v){if(v[k]!=null)vals[String(v[k])]=1;});Object.keys(vals).sort().forEach(function(x){var o=document.createElement('option');o.value=x;o.textContent=x;s.appendChild(o);});
s.addEventListener('change',show);});
function show(){var list=document.getElementById('vlist');list.innerHTML='';var n=0;
vs.forEach(function(v){for(var i=0;i<keys.length;i++){var k=keys[i];if(sel[k].value&&String(v[k])!==sel[k].value)return;}
n++;var li=document.createElement('li');var q=document.createElement('q');var cs=Array.from(v.text);var sp=v.span||[0,0];
q.appendChild(document.createTextNode(cs.slice(0,sp[0]).join('')));var mk=document.createElement('mark');mk.textContent=cs.slice(sp[0],sp[1]).join('');q.appendChild(mk);q.appendChild(document.createTextNode(cs.slice(sp[1]).join('')));li.appendChild(q);
var m=document.createElement('span');m.className='vmeta';m.textContent=' '+[v.code,v.point,v.owner,v.theme,v.cluster==null?null:'#'+v.cluster,v.channel,v.touchpoint,v.language,v.week,v.id].filter(Boolean).join(' · ');li.appendChild(m);list.appendChild(li);});
document.getElementById('vcount').textContent=n+' / '+vs.length;}
document.querySelectorAll('.drill').forEach(function(el){el.addEventListener('click',function(){
keys.forEach(function(k){sel[k].value='';});keys.forEach(function(k){var v=el.getAttribute('data-'+k);if(v!==null&&sel[k]){
var ok=false;for(var i=0;i<sel[k].options.length;i++){if(sel[k].options[i].value===v)ok=true;}
if(!ok){var o=document.createElement('option');o.value=v;o.textContent=v;sel[k].appendChild(o);}sel[k].value=v;}});
show();document.getElementById('verbatims').scrollIntoView();});});
show();
// lay the word clouds out again with the widths the browser measures (the
// page's own layout only estimates them): same spiral, same order
document.querySelectorAll('svg.cloud').forEach(function(svg){var W=640,H=300,placed=[];
svg.querySelectorAll('text.word').forEach(function(t){var b=t.getBBox();var w=b.width+6,h=b.height+2;var spot=null;
for(var i=0;i<4000&&!spot;i++){var a=i*0.1,r=1.4*a,cx=W/2+1.7*r*Math.cos(a),cy=H/2+r*Math.sin(a);
var x0=cx-w/2,y0=cy-h/2,x1=cx+w/2,y1=cy+h/2;if(x0<0||y0<0||x1>W||y1>H)continue;
if(placed.every(function(p){return x1<=p[0]||x0>=p[2]||y1<=p[1]||y0>=p[3];}))spot=[x0,y0,x1,y1];}
if(!spot){t.style.display='none';return;}placed.push(spot);
t.setAttribute('x',((spot[0]+spot[2])/2).toFixed(1));t.setAttribute('y',((spot[1]+spot[3])/2).toFixed(1));});});
})();"#;
