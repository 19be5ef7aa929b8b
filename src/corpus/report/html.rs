//! Draws a [`ReportData`] as one HTML file: inline CSS, SVG charts drawn
//! here, the data as JSON in the page, and a short script of our own for
//! the drill-down to the verbatims. It opens from disk with no network and
//! prints cleanly; every number is written as text beside its bar, so the
//! page reads without colour.

use std::fmt::Write as _;

use super::{ReportData, ReportOptions, UiLanguage};
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
        ("alerts", l.alerts),
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
                "<table><thead><tr><th>{}</th><th>{}</th><th>n</th><th>{}</th><th>q</th><th>{}</th></tr></thead><tbody>",
                l.code, l.owner, l.detractor_rate, l.quadrant
            );
            for x in &d.drivers {
                let _ = write!(
                    h,
                    "<tr><td><a class=\"drill\" data-code=\"{c}\">{c}</a></td><td>{o}</td><td>{n}</td>\
                     <td>{a} / {b}</td><td>{q}</td><td>{quad}</td></tr>",
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

    // 5. alerts
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

    // 6. verbatims (filled by the script from the data)
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
@media print{nav .hint,.filters{display:none}section{break-inside:avoid-page}}";

const JS: &str = r#"(function(){
var data=JSON.parse(document.getElementById('vocmine-data').textContent);
var vs=data.verbatims||[];var keys=['code','owner','channel','touchpoint','language','week'];
var sel={};keys.forEach(function(k){var s=document.querySelector('select[data-filter="'+k+'"]');sel[k]=s;
var vals={};vs.forEach(function(v){if(v[k])vals[v[k]]=1;});Object.keys(vals).sort().forEach(function(x){var o=document.createElement('option');o.value=x;o.textContent=x;s.appendChild(o);});
s.addEventListener('change',show);});
function show(){var list=document.getElementById('vlist');list.innerHTML='';var n=0;
vs.forEach(function(v){for(var i=0;i<keys.length;i++){var k=keys[i];if(sel[k].value&&v[k]!==sel[k].value)return;}
n++;var li=document.createElement('li');var q=document.createElement('q');q.textContent=v.text;li.appendChild(q);
var m=document.createElement('span');m.className='vmeta';m.textContent=' '+[v.code,v.point,v.owner,v.channel,v.touchpoint,v.language,v.week,v.id].filter(Boolean).join(' · ');li.appendChild(m);list.appendChild(li);});
document.getElementById('vcount').textContent=n+' / '+vs.length;}
document.querySelectorAll('.drill').forEach(function(el){el.addEventListener('click',function(){
keys.forEach(function(k){sel[k].value='';});keys.forEach(function(k){var v=el.getAttribute('data-'+k);if(v!==null&&sel[k]){
var ok=false;for(var i=0;i<sel[k].options.length;i++){if(sel[k].options[i].value===v)ok=true;}
if(!ok){var o=document.createElement('option');o.value=v;o.textContent=v;sel[k].appendChild(o);}sel[k].value=v;}});
show();document.getElementById('verbatims').scrollIntoView();});});
show();})();"#;
