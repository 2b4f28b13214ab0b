//! The Markdown report: the job summary (`$GITHUB_STEP_SUMMARY`) and the pull-request comment.
//!
//! Owns the layout of both variants and keeping each inside GitHub's size limit, whatever the input. Every
//! piece of vendor or policy text goes through [`escape`]. It must not decide anything (the verdict is
//! read from [`Context`]) and does no I/O: [`render`] returns a `String`.
//!
//! Size: each part is built against a budget. The header (verdict, images, severity counts, policy) and
//! the tail (ignores, warnings) get at most an eighth of the limit each; findings get what is left,
//! violating ones first, and every cut table ends with a line saying how many rows were left out. A
//! final guard cuts the assembled text on a line boundary, closing any open `<details>`, should it still
//! be too long.

use jiff::Timestamp;

use super::Context;
use super::escape::{self, markdown_inline, markdown_link, truncate};
use crate::findings::{Counts, Finding, Image, ScanSet, Severity, short_digest};
use crate::policy::{FindingState, Outcome, Verdict};
use crate::run::Conclusion;

/// Which Markdown document to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The job summary: every section, at most [`SUMMARY_LIMIT_BYTES`] bytes.
    Summary,
    /// The pull-request comment: a hidden marker line first (see [`comment_marker`]), fewer columns, and
    /// at most [`COMMENT_LIMIT_CHARS`] characters.
    Comment,
}

/// GitHub drops a step summary larger than this (1 MiB per step).
pub const SUMMARY_LIMIT_BYTES: usize = 1_048_576;

/// GitHub refuses a pull-request comment body longer than this. The comment is measured in UTF-16 units
/// with a line break counted twice, so it stays under the limit however GitHub counts.
pub const COMMENT_LIMIT_CHARS: usize = 65_536;

const FINAL_RESERVE: usize = 1024;
const NOTE_RESERVE: usize = 200;
const ID_CHARS: usize = 100;
const PACKAGE_CHARS: usize = 100;
const VERSION_CHARS: usize = 100;
const PATH_CHARS: usize = 120;
const COMMENT_URL_CHARS: usize = 300;
const SEE_REPORTS: &str = "see the JSON or SARIF report";
const SEE_JSON: &str = "see the JSON report";

/// Renders the report. The result always fits the variant's limit.
pub fn render(ctx: &Context<'_>, variant: Variant) -> String {
    let limit = limit(variant);
    let body = limit.saturating_sub(FINAL_RESERVE);
    let head = head(ctx, variant, body / 8);
    let tail = tail(ctx, variant, body / 8);
    let mut findings = Section::new(variant, body.saturating_sub(head.used + tail.used));
    if let Some(verdict) = ctx.verdict() {
        violating(ctx, verdict, &mut findings);
        others(ctx, verdict, &mut findings);
    }
    let text = head.text + &findings.text + &tail.text;
    fit(text, variant, limit)
}

/// The hidden first line of the comment, `<!-- ecr-scan-gate: KEY -->`, where KEY is the first image's
/// [`Image::key`]. Used to find the comment again and update it. Characters other than ASCII letters,
/// digits and `._/:-` are percent-encoded, as is a `-` after a `-`, so the key never contains `--`, `>`
/// or a line break.
pub fn comment_marker(set: &ScanSet) -> String {
    let key = set.images.first().map(Image::key).unwrap_or_default();
    let mut out = String::from("<!-- ecr-scan-gate: ");
    let mut prev = None;
    for c in key.chars().take(100) {
        let plain = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | ':' | '-');
        if plain && !(c == '-' && prev == Some('-')) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        prev = Some(c);
    }
    out.push_str(" -->");
    out
}

fn limit(variant: Variant) -> usize {
    match variant {
        Variant::Summary => SUMMARY_LIMIT_BYTES,
        Variant::Comment => COMMENT_LIMIT_CHARS,
    }
}

fn unit(variant: Variant, c: char) -> usize {
    match variant {
        Variant::Summary => c.len_utf8(),
        Variant::Comment if c == '\n' => 2,
        Variant::Comment => c.len_utf16(),
    }
}

fn measure(variant: Variant, text: &str) -> usize {
    match variant {
        Variant::Summary => text.len(),
        Variant::Comment => text.chars().map(|c| unit(variant, c)).sum(),
    }
}

/// Part of the document, built against its own budget.
struct Section {
    variant: Variant,
    limit: usize,
    used: usize,
    text: String,
}

impl Section {
    fn new(variant: Variant, limit: usize) -> Section {
        Section {
            variant,
            limit,
            used: 0,
            text: String::new(),
        }
    }

    fn push(&mut self, text: &str) {
        self.used += measure(self.variant, text);
        self.text.push_str(text);
    }

    fn fits(&self, text: &str, reserve: usize) -> bool {
        self.used + measure(self.variant, text) + reserve <= self.limit
    }

    fn try_push(&mut self, text: &str, reserve: usize) -> bool {
        let fits = self.fits(text, reserve);
        if fits {
            self.push(text);
        }
        fits
    }
}

fn row(cells: &[String]) -> String {
    let mut line = String::from("|");
    for cell in cells {
        line.push(' ');
        line.push_str(if cell.is_empty() { "—" } else { cell });
        line.push_str(" |");
    }
    line.push('\n');
    line
}

fn note(left_out: usize, shown: usize, what: &str, see: &str) -> String {
    if shown == 0 {
        format!("\n{left_out} {what} not shown ({see})\n")
    } else {
        format!("\n…and {left_out} more {what} not shown ({see})\n")
    }
}

/// Writes a table of `rows` (built lazily) while they fit with `reserve` to spare, then a line saying how
/// many were left out. Returns how many rows were written.
fn table(
    sec: &mut Section,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
    total: usize,
    (what, see): (&str, &str),
    reserve: usize,
) -> usize {
    let reserve = reserve + NOTE_RESERVE;
    let names: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut top = String::from("\n");
    top.push_str(&row(&names));
    top.push_str(&row(&vec!["---".to_string(); header.len()]));
    let mut shown = 0;
    if total > 0 && sec.try_push(&top, reserve) {
        for mut cells in rows {
            cells.resize(header.len(), String::new());
            if !sec.try_push(&row(&cells), reserve) {
                break;
            }
            shown += 1;
        }
    }
    if shown < total {
        sec.push(&note(total - shown, shown, what, see));
    }
    shown
}

/// Writes a bullet list of already escaped `items` while they fit, like [`table`].
fn list(
    sec: &mut Section,
    items: impl IntoIterator<Item = String>,
    total: usize,
    (what, see): (&str, &str),
    reserve: usize,
) {
    let reserve = reserve + NOTE_RESERVE;
    let mut shown = 0;
    let mut opened = false;
    for item in items {
        let line = format!("{}- {item}\n", if opened { "" } else { "\n" });
        if !sec.try_push(&line, reserve) {
            break;
        }
        opened = true;
        shown += 1;
    }
    if shown < total {
        sec.push(&note(total - shown, shown, what, see));
    }
}

fn text(value: Option<&str>, max_chars: usize) -> String {
    value.map_or_else(String::new, |v| markdown_inline(&truncate(v, max_chars)))
}

fn time(value: Option<Timestamp>) -> String {
    value.map_or_else(String::new, |t| {
        t.strftime("%Y-%m-%d %H:%M UTC").to_string()
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn head(ctx: &Context<'_>, variant: Variant, budget: usize) -> Section {
    let mut sec = Section::new(variant, budget);
    if variant == Variant::Comment {
        sec.push(&comment_marker(ctx.set));
        sec.push("\n");
    }
    sec.push(&heading(ctx));
    let mut closing = String::new();
    if let Some(verdict) = ctx.verdict() {
        closing.push_str(&severity_table(ctx.set, verdict));
    }
    if !matches!(ctx.result.conclusion, Conclusion::Error(_)) {
        closing.push_str(&policy_line(ctx));
    }
    let reserve = measure(variant, &closing) + NOTE_RESERVE;
    match &ctx.result.conclusion {
        Conclusion::Verdict(verdict) => sec.push(&verdict_text(ctx, verdict)),
        Conclusion::Incomplete(images) => {
            sec.push(
                "\nThere is no verdict: not every image's scan reached a usable final state, so the \
                 findings could not be completely read.\n",
            );
            let items = images
                .iter()
                .map(|image| markdown_inline(&truncate(&image.to_string(), 500)));
            list(
                &mut sec,
                items,
                images.len(),
                ("reasons", SEE_JSON),
                reserve,
            );
        }
        Conclusion::Error(_) => {
            sec.push("\nThere is no verdict: the gate stopped with an error.\n");
            let message = ctx.result.error_text().unwrap_or_default();
            let lines: Vec<&str> = message.lines().filter(|l| !l.trim().is_empty()).collect();
            let items = lines.iter().map(|l| markdown_inline(&truncate(l, 1000)));
            list(
                &mut sec,
                items,
                lines.len(),
                ("lines", "see the log"),
                reserve,
            );
        }
    }
    images(ctx, &mut sec, reserve);
    sec.push(&closing);
    sec
}

fn subject(set: &ScanSet) -> String {
    let Some(image) = set.images.first() else {
        return String::new();
    };
    let mut raw = image.repository.clone();
    if let Some(tag) = image.tags.first() {
        raw.push(':');
        raw.push_str(tag);
    } else if let Some(digest) = &image.digest {
        raw.push('@');
        raw.push_str(short_digest(digest));
    }
    let mut out = markdown_inline(&truncate(&raw, 120));
    if set.images.len() > 1 {
        out.push_str(&format!(" ({} platforms)", set.images.len()));
    }
    out
}

fn heading(ctx: &Context<'_>) -> String {
    let (icon, word) = match &ctx.result.conclusion {
        Conclusion::Verdict(v) if v.outcome == Outcome::Pass => ("✅", "pass"),
        Conclusion::Verdict(_) => ("❌", "fail"),
        Conclusion::Incomplete(_) => ("⚠️", "no verdict (incomplete)"),
        Conclusion::Error(_) => ("🛑", "error"),
    };
    let subject = subject(ctx.set);
    if subject.is_empty() {
        format!("## {icon} ecr-scan-gate: {word}\n")
    } else {
        format!("## {icon} ecr-scan-gate: {word} — {subject}\n")
    }
}

fn verdict_text(ctx: &Context<'_>, verdict: &Verdict) -> String {
    let total = ctx.set.findings.len();
    let ignored = verdict.ignored_count();
    let Some(first) = verdict.violations.first() else {
        return format!(
            "\nNo finding violates the policy ({}, {ignored} ignored).\n",
            plural(total, "finding", "findings")
        );
    };
    let mut out = format!(
        "\n**{}** of the policy. The rule that failed first: `{}`",
        plural(verdict.violations.len(), "violation", "violations"),
        first.rule
    );
    if let Some(finding) = ctx.set.findings.get(first.finding) {
        out.push_str(&format!(" ({}", text(Some(&finding.id), ID_CHARS)));
        if let Some(name) = &finding.package.name {
            out.push_str(&format!(" in {}", text(Some(name), PACKAGE_CHARS)));
        }
        out.push(')');
    }
    out.push_str(".\n");
    if ctx.report_only() {
        out.push_str(
            "\n**Report only:** the policy is violated, but the job is not failed because \
             `--report-only` is set.\n",
        );
    }
    out
}

fn images(ctx: &Context<'_>, sec: &mut Section, reserve: usize) {
    let images = &ctx.set.images;
    let header: &[&str] = match sec.variant {
        Variant::Summary => &[
            "repository",
            "tags",
            "digest",
            "platform",
            "scan",
            "status",
            "completed",
            "database updated",
        ],
        Variant::Comment => &["image", "digest", "scan", "completed"],
    };
    let variant = sec.variant;
    let rows = images.iter().map(|image| image_cells(image, variant));
    table(
        sec,
        header,
        rows,
        images.len(),
        ("images", SEE_JSON),
        reserve,
    );
}

fn image_cells(image: &Image, variant: Variant) -> Vec<String> {
    let digest = text(image.digest.as_deref().map(short_digest), 80);
    let completed = time(image.scan.completed_at);
    let scan_type = image.scan.scan_type.as_str().to_string();
    let status = text(Some(&image.scan.status), 40);
    match variant {
        Variant::Summary => {
            let mut tags: Vec<String> = image
                .tags
                .iter()
                .take(5)
                .map(|t| markdown_inline(&truncate(t, 100)))
                .collect();
            if image.tags.len() > 5 {
                tags.push(format!("+{} more", image.tags.len() - 5));
            }
            let mut status = status;
            if let Some(description) = &image.scan.description {
                let description = markdown_inline(&truncate(description, 200));
                if !description.is_empty() {
                    status.push_str(": ");
                    status.push_str(&description);
                }
            }
            vec![
                text(Some(&image.repository), 200),
                tags.join(", "),
                digest,
                text(image.platform.as_deref(), 60),
                scan_type,
                status,
                completed,
                time(image.scan.source_updated_at),
            ]
        }
        Variant::Comment => vec![
            markdown_inline(&truncate(&image.label(), 150)),
            digest,
            format!("{scan_type}, {status}"),
            completed,
        ],
    }
}

fn severity_table(set: &ScanSet, verdict: &Verdict) -> String {
    let total = set.counts();
    let fixable = Counts::of(
        set.findings
            .iter()
            .filter(|f| f.fix_available == Some(true)),
    );
    let ignored = verdict.counts_where(set, |s| {
        matches!(
            s,
            FindingState::Ignored(_) | FindingState::SuppressedByScanner
        )
    });
    let violating = verdict.counts_where(set, |s| matches!(s, FindingState::Violating(_)));
    let cells = |name: String, get: &dyn Fn(&Counts) -> usize| {
        vec![
            name,
            get(&total).to_string(),
            get(&fixable).to_string(),
            get(&ignored).to_string(),
            get(&violating).to_string(),
        ]
    };
    let header = ["severity", "total", "fixable", "ignored", "violating"].map(String::from);
    let mut out = String::from("\n");
    out.push_str(&row(&header));
    out.push_str(&row(&vec!["---".to_string(); header.len()]));
    for severity in Severity::ALL {
        out.push_str(&row(&cells(severity.as_str().to_string(), &|c| {
            c.get(severity)
        })));
    }
    out.push_str(&row(&cells("**total**".to_string(), &|c| c.total)));
    out
}

fn policy_line(ctx: &Context<'_>) -> String {
    let policy = ctx.policy;
    let fail_on = policy.fail_on.map_or("none", Severity::as_str);
    let only_fixed = if policy.only_fixed { "yes" } else { "no" };
    let min_score = policy
        .min_score
        .map_or_else(|| "none".to_string(), |s| format!("{s:.1}"));
    let max = if policy.max.is_empty() {
        "`none`".to_string()
    } else {
        policy
            .max
            .iter()
            .rev()
            .map(|(severity, n)| format!("`{severity} = {n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "\n**Policy:** fail-on `{fail_on}` · only-fixed `{only_fixed}` · min-score `{min_score}` · \
         max {max} · {}\n",
        plural(policy.ignores.len(), "ignore", "ignores")
    )
}

fn finding_header(variant: Variant, multi: bool, last: &'static str) -> Vec<&'static str> {
    let mut header = vec!["severity", "id", "package", "installed", "fixed in"];
    if variant == Variant::Summary {
        header.extend(["score", "exploit"]);
    }
    header.push(last);
    if variant == Variant::Summary && multi {
        header.push("images");
    }
    header
}

fn finding_cells(
    ctx: &Context<'_>,
    variant: Variant,
    finding: &Finding,
    last: String,
) -> Vec<String> {
    let url_cap = match variant {
        Variant::Summary => escape::MAX_URL_CHARS,
        Variant::Comment => COMMENT_URL_CHARS,
    };
    let id = truncate(&finding.id, ID_CHARS);
    let url = finding
        .urls
        .iter()
        .find(|u| u.chars().nth(url_cap).is_none() && escape::is_linkable(u));
    let id = match url {
        Some(url) => markdown_link(&id, url),
        None => markdown_inline(&id),
    };
    let mut package = text(finding.package.name.as_deref(), PACKAGE_CHARS);
    if variant == Variant::Summary {
        let path = text(finding.package.path.as_deref(), PATH_CHARS);
        if !path.is_empty() {
            package = if package.is_empty() {
                path
            } else {
                format!("{package} · {path}")
            };
        }
    }
    let fixed = match (&finding.package.fixed_in, finding.fix_available) {
        (Some(v), _) => text(Some(v), VERSION_CHARS),
        (None, Some(false)) => "no fix".to_string(),
        (None, _) => String::new(),
    };
    let mut cells = vec![
        finding.severity.as_str().to_string(),
        id,
        package,
        text(finding.package.version.as_deref(), VERSION_CHARS),
        fixed,
    ];
    if variant == Variant::Summary {
        cells.push(
            finding
                .score
                .map_or_else(String::new, |s| format!("{s:.1}")),
        );
        cells.push(
            match finding.exploit_available {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            }
            .to_string(),
        );
    }
    cells.push(last);
    if variant == Variant::Summary && ctx.set.images.len() > 1 {
        cells.push(image_list(ctx.set, finding));
    }
    cells
}

fn image_list(set: &ScanSet, finding: &Finding) -> String {
    if finding.images.len() >= set.images.len() {
        return "all".to_string();
    }
    let mut names: Vec<String> = finding
        .images
        .iter()
        .take(4)
        .filter_map(|&i| set.images.get(i))
        .map(|image| match &image.platform {
            Some(platform) => markdown_inline(&truncate(platform, 40)),
            None => markdown_inline(&truncate(&image.label(), 60)),
        })
        .collect();
    if finding.images.len() > 4 {
        names.push(format!("+{} more", finding.images.len() - 4));
    }
    names.join(", ")
}

fn state_text(ctx: &Context<'_>, state: Option<&FindingState>, severity: Severity) -> String {
    match state {
        Some(FindingState::Violating(rule)) => {
            format!("violates {}", markdown_inline(&rule.to_string()))
        }
        Some(FindingState::Allowed) => match ctx.policy.max.get(&severity) {
            Some(n) => format!("allowed by max.{severity} = {n}"),
            None => "allowed".to_string(),
        },
        Some(FindingState::Ignored(i)) => match ctx.policy.ignores.get(*i).and_then(|i| i.line) {
            Some(line) => format!("ignored (policy line {line})"),
            None => "ignored (--ignore)".to_string(),
        },
        Some(FindingState::SuppressedByScanner) => "suppressed in Amazon Inspector".to_string(),
        Some(FindingState::BelowThreshold) => "below threshold".to_string(),
        None => String::new(),
    }
}

fn violating(ctx: &Context<'_>, verdict: &Verdict, sec: &mut Section) {
    let total = verdict.violations.len();
    if total == 0 {
        return;
    }
    sec.push(&format!("\n### Violating findings ({total})\n"));
    let variant = sec.variant;
    let header = finding_header(variant, ctx.set.images.len() > 1, "rule");
    let rows = verdict
        .violations
        .iter()
        .map(|v| match ctx.set.findings.get(v.finding) {
            Some(finding) => {
                finding_cells(ctx, variant, finding, markdown_inline(&v.rule.to_string()))
            }
            None => Vec::new(),
        });
    table(sec, &header, rows, total, ("findings", SEE_REPORTS), 0);
}

fn others(ctx: &Context<'_>, verdict: &Verdict, sec: &mut Section) {
    let others: Vec<(&Finding, Option<&FindingState>)> = ctx
        .set
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| (f, verdict.states.get(i)))
        .filter(|(_, s)| !matches!(s, Some(FindingState::Violating(_))))
        .collect();
    let total = others.len();
    if total == 0 {
        return;
    }
    let variant = sec.variant;
    let header = finding_header(variant, ctx.set.images.len() > 1, "status");
    let rows = || {
        others
            .iter()
            .map(|(f, s)| finding_cells(ctx, variant, f, state_text(ctx, *s, f.severity)))
    };
    let open = format!(
        "\n<details>\n<summary>Other findings ({total}): not violating the policy</summary>\n"
    );
    let close = "\n</details>\n";
    let close_size = measure(variant, close);
    match variant {
        Variant::Summary => {
            if sec.try_push(&open, close_size + NOTE_RESERVE) {
                table(
                    sec,
                    &header,
                    rows(),
                    total,
                    ("findings", SEE_REPORTS),
                    close_size,
                );
                sec.push(close);
            } else {
                sec.push(&note(total, 0, "other findings", SEE_REPORTS));
            }
        }
        Variant::Comment => {
            let room = sec.limit.saturating_sub(sec.used + NOTE_RESERVE);
            let mut scratch = Section::new(variant, room);
            scratch.push(&open);
            let shown = table(
                &mut scratch,
                &header,
                rows(),
                total,
                ("findings", SEE_REPORTS),
                close_size,
            );
            scratch.push(close);
            if shown == total && sec.fits(&scratch.text, 0) {
                sec.push(&scratch.text);
            } else {
                sec.push(&format!(
                    "\n{} (not violating) not shown here (see the job summary or the JSON report)\n",
                    plural(total, "other finding", "other findings")
                ));
            }
        }
    }
}

fn tail(ctx: &Context<'_>, variant: Variant, budget: usize) -> Section {
    let mut sec = Section::new(variant, budget);
    let footer = format!(
        "\n<sub>ecr-scan-gate {}</sub>\n",
        markdown_inline(&truncate(ctx.tool_version, 40))
    );
    let reserve = measure(variant, &footer);
    if let Some(verdict) = ctx.verdict() {
        ignores(ctx, verdict, &mut sec, reserve);
    }
    let warnings = &ctx.set.warnings;
    if !warnings.is_empty() && sec.try_push("\n### Warnings\n", reserve + NOTE_RESERVE) {
        let items = warnings.iter().map(|w| markdown_inline(&truncate(w, 500)));
        list(
            &mut sec,
            items,
            warnings.len(),
            ("warnings", SEE_JSON),
            reserve,
        );
    }
    sec.push(&footer);
    sec
}

fn ignores(ctx: &Context<'_>, verdict: &Verdict, sec: &mut Section, reserve: usize) {
    let ignores = &ctx.policy.ignores;
    if ignores.is_empty() {
        return;
    }
    let mut matched = vec![0usize; ignores.len()];
    for state in &verdict.states {
        if let FindingState::Ignored(i) = state
            && let Some(n) = matched.get_mut(*i)
        {
            *n += 1;
        }
    }
    let expired = verdict.expired_ignores.len();
    let unused = verdict.unused_ignores.len();
    let id = |i: usize| {
        ignores
            .get(i)
            .map_or_else(String::new, |ig| text(Some(&ig.id), ID_CHARS))
    };
    let expires = |i: usize| {
        ignores
            .get(i)
            .and_then(|ig| ig.expires)
            .map_or_else(|| "never (command line)".to_string(), |d| d.to_string())
    };
    if !sec.try_push(
        &format!("\n### Ignores ({})\n", ignores.len()),
        reserve + NOTE_RESERVE,
    ) {
        return;
    }
    match sec.variant {
        Variant::Summary => {
            if expired > 0 {
                sec.try_push(
                    &format!(
                        "\n⚠️ **{} no longer {}** (past the expiry date): renew or remove {}.\n",
                        plural(expired, "expired ignore", "expired ignores"),
                        if expired == 1 { "applies" } else { "apply" },
                        if expired == 1 { "it" } else { "them" },
                    ),
                    reserve + NOTE_RESERVE,
                );
            }
            if unused > 0 {
                sec.try_push(
                    &format!(
                        "\n{} matched no finding: remove {} if no longer needed.\n",
                        plural(unused, "ignore", "ignores"),
                        if unused == 1 { "it" } else { "them" },
                    ),
                    reserve + NOTE_RESERVE,
                );
            }
            let rows = ignores.iter().enumerate().map(|(i, ignore)| {
                let status = if verdict.expired_ignores.contains(&i) {
                    "⚠️ expired"
                } else if verdict.unused_ignores.contains(&i) {
                    "unused"
                } else {
                    "in force"
                };
                let mut scope = Vec::new();
                if let Some(package) = &ignore.package {
                    scope.push(format!("package {}", text(Some(package), PACKAGE_CHARS)));
                }
                if let Some(repository) = &ignore.repository {
                    scope.push(format!("repository {}", text(Some(repository), 200)));
                }
                vec![
                    status.to_string(),
                    id(i),
                    scope.join(", "),
                    text(Some(&ignore.reason), 300),
                    expires(i),
                    matched.get(i).copied().unwrap_or(0).to_string(),
                ]
            });
            let header = ["status", "id", "scope", "reason", "expires", "matched"];
            table(
                sec,
                &header,
                rows,
                ignores.len(),
                ("ignores", SEE_JSON),
                reserve,
            );
        }
        Variant::Comment => {
            let in_force = ignores.len() - expired;
            let hits: usize = matched.iter().sum();
            sec.try_push(
                &format!(
                    "\n{} in force, matching {}.\n",
                    plural(in_force, "ignore", "ignores"),
                    plural(hits, "finding", "findings")
                ),
                reserve + NOTE_RESERVE,
            );
            if expired > 0
                && sec.try_push(
                    "\n⚠️ **Expired** (no longer applied):\n",
                    reserve + NOTE_RESERVE,
                )
            {
                let items = verdict
                    .expired_ignores
                    .iter()
                    .map(|&i| format!("{}, expired after {}", id(i), expires(i)));
                list(sec, items, expired, ("expired ignores", SEE_JSON), reserve);
            }
            if unused > 0
                && sec.try_push(
                    "\n**Unused** (matched no finding):\n",
                    reserve + NOTE_RESERVE,
                )
            {
                let items = verdict.unused_ignores.iter().map(|&i| id(i));
                list(sec, items, unused, ("unused ignores", SEE_JSON), reserve);
            }
        }
    }
}

/// The last guard on size: cuts `text` on a line boundary so that it fits `limit`, closes any open
/// `<details>` and says so. Vendor text cannot contain `<details>` (it is escaped), so counting tags is
/// reliable.
fn fit(text: String, variant: Variant, limit: usize) -> String {
    if measure(variant, &text) <= limit {
        return text;
    }
    const NOTE: &str =
        "\n\n…the report was cut here to fit GitHub's size limit (see the JSON or SARIF report)\n";
    const CLOSE: &str = "\n\n</details>\n";
    const MAX_OPEN: usize = 4;
    let keep = limit.saturating_sub(measure(variant, NOTE) + MAX_OPEN * measure(variant, CLOSE));
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        used += unit(variant, c);
        if used > keep {
            break;
        }
        end = i + c.len_utf8();
    }
    let mut cut = &text[..end];
    if let Some(newline) = cut.rfind('\n') {
        cut = &cut[..=newline];
    }
    let open = cut
        .matches("<details>")
        .count()
        .saturating_sub(cut.matches("</details>").count());
    let mut out = cut.to_string();
    for _ in 0..open.min(MAX_OPEN) {
        out.push_str(CLOSE);
    }
    out.push_str(NOTE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{RunResult, testing};

    use jiff::civil::date;
    use proptest::prelude::*;

    use crate::findings::{Package, ScanInfo, ScanType};
    use crate::policy::{Ignore, Policy, evaluate};
    use crate::report::Context;

    const VERSION: &str = "0.1.0";

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn image(repository: &str, platform: Option<&str>, scan_type: ScanType, status: &str) -> Image {
        Image {
            repository: repository.to_string(),
            registry_id: Some("123456789012".to_string()),
            region: Some("eu-west-1".to_string()),
            digest: Some(
                "sha256:4b825dc642cb6eb9a060e54bf8d69288fbee4904a1e2c3f7d0b5e6f7a8b9c0d1"
                    .to_string(),
            ),
            tags: vec!["1.4.2".to_string(), "latest".to_string()],
            platform: platform.map(str::to_string),
            scan: ScanInfo {
                scan_type,
                status: status.to_string(),
                description: None,
                completed_at: Some(at("2025-12-31T09:15:00Z")),
                source_updated_at: Some(at("2025-12-31T06:00:00Z")),
            },
        }
    }

    fn finding(
        id: &str,
        severity: Severity,
        name: &str,
        version: &str,
        fixed: Option<&str>,
    ) -> Finding {
        Finding {
            id: id.to_string(),
            severity,
            vendor_severity: severity.as_str().to_uppercase(),
            score: None,
            vector: None,
            title: None,
            description: Some(format!("A vulnerability in {name}.")),
            package: Package {
                name: Some(name.to_string()),
                version: Some(version.to_string()),
                fixed_in: fixed.map(str::to_string),
                manager: Some("OS".to_string()),
                path: None,
            },
            fix_available: fixed.map(|_| true),
            exploit_available: None,
            urls: vec![format!("https://nvd.nist.gov/vuln/detail/{id}")],
            suppressed_by_scanner: false,
            images: vec![0],
        }
    }

    fn scored(mut f: Finding, score: f64) -> Finding {
        f.score = Some(score);
        f
    }

    fn ignore(id: &str, reason: &str, expires: jiff::civil::Date, line: usize) -> Ignore {
        Ignore {
            id: id.to_string(),
            reason: reason.to_string(),
            expires: Some(expires),
            package: None,
            repository: None,
            line: Some(line),
        }
    }

    /// Basic scanning, one image, CVSS scores, nothing at or above `high`.
    fn basic_set() -> ScanSet {
        ScanSet {
            images: vec![image("payments/api", None, ScanType::Basic, "COMPLETE")],
            findings: vec![
                scored(
                    finding(
                        "CVE-2025-1000",
                        Severity::Medium,
                        "libxml2",
                        "2.9.14-r0",
                        Some("2.9.14-r1"),
                    ),
                    5.3,
                ),
                scored(
                    finding("CVE-2025-2000", Severity::Low, "busybox", "1.36.1-r5", None),
                    3.1,
                ),
                finding(
                    "CVE-2025-3000",
                    Severity::Informational,
                    "zlib",
                    "1.3-r2",
                    None,
                ),
            ],
            warnings: Vec::new(),
        }
    }

    /// Enhanced scanning, two platforms, fix/exploit flags, a finding without score, UNTRIAGED.
    fn enhanced_set() -> ScanSet {
        let mut critical = scored(
            finding(
                "CVE-2024-6387",
                Severity::Critical,
                "openssh-server",
                "1:9.2p1-2",
                Some("1:9.2p1-2+deb12u3"),
            ),
            9.8,
        );
        critical.exploit_available = Some(true);
        critical.images = vec![0, 1];
        let mut high = finding(
            "CVE-2025-0001",
            Severity::High,
            "openssl",
            "3.0.13-1",
            Some("3.0.15-1"),
        );
        high.exploit_available = Some(false);
        let mut npm = scored(
            finding(
                "GHSA-29mw-wpgm-hmr9",
                Severity::High,
                "lodash",
                "4.17.20",
                Some("4.17.21"),
            ),
            7.4,
        );
        npm.urls = vec![
            "https://github.com/advisories/GHSA-29mw-wpgm-hmr9".to_string(),
            "https://nvd.nist.gov/vuln/detail/CVE-2020-28500".to_string(),
        ];
        npm.package.manager = Some("NPM".to_string());
        npm.package.path = Some("/app/node_modules/lodash/package.json".to_string());
        npm.images = vec![1];
        let mut no_fix = scored(
            finding("CVE-2025-0002", Severity::High, "glibc", "2.36-9", None),
            7.5,
        );
        no_fix.fix_available = Some(false);
        no_fix.images = vec![0, 1];
        let mut ignored = scored(
            finding(
                "CVE-2025-0003",
                Severity::High,
                "curl",
                "7.88.1-10",
                Some("7.88.1-10+deb12u5"),
            ),
            7.2,
        );
        ignored.images = vec![0, 1];
        let mut expired = scored(
            finding("CVE-2025-0004", Severity::Medium, "tar", "1.34", None),
            5.5,
        );
        expired.images = vec![0, 1];
        let mut untriaged = finding("CVE-2025-0005", Severity::Unknown, "perl", "5.36.0-7", None);
        untriaged.vendor_severity = "UNTRIAGED".to_string();
        let mut suppressed = scored(
            finding("CVE-2025-0006", Severity::Low, "ncurses", "6.4-4", None),
            2.0,
        );
        suppressed.suppressed_by_scanner = true;
        let mut set = ScanSet {
            images: vec![
                image(
                    "payments/api",
                    Some("linux/amd64"),
                    ScanType::Enhanced,
                    "ACTIVE",
                ),
                image(
                    "payments/api",
                    Some("linux/arm64"),
                    ScanType::Enhanced,
                    "ACTIVE",
                ),
            ],
            findings: vec![
                critical, high, npm, no_fix, ignored, expired, suppressed, untriaged,
            ],
            warnings: vec!["linux/arm64: ECR reported 9 findings but 8 were read".to_string()],
        };
        set.images[1].digest = Some(
            "sha256:9a3f1e0c7b5d2e4f6a8c0e2a4c6e8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e".to_string(),
        );
        set
    }

    fn enhanced_policy() -> Policy {
        Policy {
            fail_on: Some(Severity::High),
            only_fixed: false,
            min_score: None,
            max: [(Severity::Medium, 10)].into_iter().collect(),
            ignores: vec![
                ignore(
                    "CVE-2025-0003",
                    "curl is only used at build time; not reachable at runtime",
                    date(2026, 3, 31),
                    12,
                ),
                ignore(
                    "CVE-2025-0004",
                    "tar is not used by the service",
                    date(2025, 12, 1),
                    17,
                ),
                ignore(
                    "CVE-2023-9999",
                    "fixed upstream long ago",
                    date(2026, 6, 30),
                    22,
                ),
            ],
        }
    }

    fn today() -> jiff::civil::Date {
        date(2026, 1, 1)
    }

    fn context<'a>(set: &'a ScanSet, policy: &'a Policy, result: &'a RunResult) -> Context<'a> {
        Context {
            set,
            policy,
            result,
            tool_version: VERSION,
        }
    }

    /// Renders a run that reached `verdict`.
    fn render_verdict(
        set: &ScanSet,
        policy: &Policy,
        verdict: &Verdict,
        report_only: bool,
        variant: Variant,
    ) -> String {
        let result = testing::verdict(verdict, report_only);
        render(&context(set, policy, &result), variant)
    }

    /// Checks every table: each row has as many cells as its header.
    fn assert_tables_well_formed(md: &str) {
        let cells = |line: &str| {
            let bytes = line.as_bytes();
            (0..bytes.len())
                .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
                .count()
        };
        let mut expected = None;
        for line in md.lines() {
            if line.starts_with('|') {
                let n = cells(line);
                let want = *expected.get_or_insert(n);
                assert_eq!(n, want, "row with a different cell count: {line:?}");
                assert!(line.ends_with(" |"), "row not closed: {line:?}");
            } else {
                expected = None;
            }
        }
    }

    fn assert_details_balanced(md: &str) {
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
    }

    #[test]
    fn summary_of_a_failing_enhanced_scan() {
        let set = enhanced_set();
        let policy = enhanced_policy();
        let verdict = evaluate(&set, &policy, today());
        assert_eq!(verdict.outcome, Outcome::Fail);
        let md = render_verdict(&set, &policy, &verdict, false, Variant::Summary);
        assert_tables_well_formed(&md);
        assert_details_balanced(&md);
        insta::assert_snapshot!("summary_fail", md);
    }

    #[test]
    fn comment_of_a_passing_basic_scan() {
        let set = basic_set();
        let policy = Policy::default();
        let verdict = evaluate(&set, &policy, today());
        assert_eq!(verdict.outcome, Outcome::Pass);
        let md = render_verdict(&set, &policy, &verdict, false, Variant::Comment);
        assert_tables_well_formed(&md);
        insta::assert_snapshot!("comment_pass", md);
    }

    #[test]
    fn comment_of_a_failing_scan_is_compact() {
        let set = enhanced_set();
        let policy = enhanced_policy();
        let verdict = evaluate(&set, &policy, today());
        let md = render_verdict(&set, &policy, &verdict, false, Variant::Comment);
        assert!(md.starts_with("<!-- ecr-scan-gate: payments/api/linux/amd64 -->\n## ❌ "));
        assert_tables_well_formed(&md);
        assert_details_balanced(&md);
        let violating_header = "| severity | id | package | installed | fixed in | rule |";
        assert!(md.contains(violating_header), "{md}");
        assert!(!md.contains("| score |"));
        assert!(md.contains("CVE-2025-0004, expired after 2025-12-01"));
        assert!(md.contains("CVE-2023-9999"));
        insta::assert_snapshot!("comment_fail", md);
    }

    #[test]
    fn summary_of_an_incomplete_scan_gives_the_reasons_and_no_verdict() {
        let mut set = enhanced_set();
        set.images[1].scan.status = "FAILED".to_string();
        set.images[1].scan.description =
            Some("UnsupportedImageError: the image OS is not supported".to_string());
        let reasons = vec![
            "payments/api:1.4.2 (linux/arm64): scan FAILED: UnsupportedImageError".to_string(),
        ];
        let policy = enhanced_policy();
        let result = crate::run::testing::incomplete(&reasons);
        let ctx = Context {
            set: &set,
            policy: &policy,
            result: &result,
            tool_version: VERSION,
        };
        let md = render(&ctx, Variant::Summary);
        assert!(md.contains("no verdict (incomplete)"));
        assert!(!md.contains("Violating findings"));
        assert_tables_well_formed(&md);
        insta::assert_snapshot!("summary_incomplete", md);
    }

    #[test]
    fn summary_of_an_error_shows_the_message() {
        let set = ScanSet::default();
        let policy = Policy::default();
        let message = "policy file ecr-scan-gate.toml has 2 problem(s):\n  ecr-scan-gate.toml:line 3, column 11: \
                       gate.fail-on: `severe` is not a severity\n  ecr-scan-gate.toml:line 9, column 1: ignore[0].reason: is required";
        let result = crate::run::testing::error(message);
        let ctx = Context {
            set: &set,
            policy: &policy,
            result: &result,
            tool_version: VERSION,
        };
        let md = render(&ctx, Variant::Summary);
        assert!(md.starts_with("## 🛑 ecr-scan-gate: error\n"));
        assert_tables_well_formed(&md);
        insta::assert_snapshot!("summary_error", md);
        let comment = render(&ctx, Variant::Comment);
        assert!(comment.starts_with("<!-- ecr-scan-gate:  -->\n## 🛑 "));
    }

    #[test]
    fn report_only_is_mentioned_only_when_the_policy_is_violated() {
        let set = enhanced_set();
        let policy = enhanced_policy();
        let verdict = evaluate(&set, &policy, today());
        let md = render_verdict(&set, &policy, &verdict, true, Variant::Summary);
        assert!(md.contains("**Report only:**"));
        let set = basic_set();
        let policy = Policy::default();
        let verdict = evaluate(&set, &policy, today());
        let md = render_verdict(&set, &policy, &verdict, true, Variant::Summary);
        assert!(!md.contains("Report only"));
    }

    #[test]
    fn zero_findings_pass_with_an_all_zero_severity_table() {
        let mut set = basic_set();
        set.findings.clear();
        let policy = Policy::default();
        let verdict = evaluate(&set, &policy, today());
        for variant in [Variant::Summary, Variant::Comment] {
            let md = render_verdict(&set, &policy, &verdict, false, variant);
            assert!(md.contains("## ✅ ecr-scan-gate: pass — payments/api:1.4.2\n"));
            assert!(md.contains("No finding violates the policy (0 findings, 0 ignored)."));
            assert!(md.contains("| **total** | 0 | 0 | 0 | 0 |"));
            assert!(!md.contains("Violating findings"));
            assert!(!md.contains("<details>"));
            assert_tables_well_formed(&md);
        }
    }

    #[test]
    fn severity_table_counts_total_fixable_ignored_and_violating() {
        let set = enhanced_set();
        let policy = enhanced_policy();
        let verdict = evaluate(&set, &policy, today());
        let md = render_verdict(&set, &policy, &verdict, false, Variant::Summary);
        assert!(md.contains("| critical | 1 | 1 | 0 | 1 |"), "{md}");
        assert!(md.contains("| high | 4 | 3 | 1 | 3 |"), "{md}");
        assert!(md.contains("| medium | 1 | 0 | 0 | 0 |"), "{md}");
        assert!(md.contains("| low | 1 | 0 | 1 | 0 |"), "{md}");
        assert!(md.contains("| unknown | 1 | 0 | 0 | 0 |"), "{md}");
        assert!(md.contains("| **total** | 8 | 4 | 2 | 4 |"), "{md}");
    }

    #[test]
    fn images_column_appears_only_with_several_images() {
        let set = enhanced_set();
        let policy = enhanced_policy();
        let verdict = evaluate(&set, &policy, today());
        let md = render_verdict(&set, &policy, &verdict, false, Variant::Summary);
        assert!(md.contains("| rule | images |"));
        let set = basic_set();
        let policy = Policy {
            fail_on: Some(Severity::Low),
            ..Policy::default()
        };
        let verdict = evaluate(&set, &policy, today());
        let md = render_verdict(&set, &policy, &verdict, false, Variant::Summary);
        assert!(md.contains("| exploit | rule |\n"));
        assert!(!md.contains("images |"));
    }

    #[test]
    fn comment_marker_cannot_be_broken_by_the_key() {
        let mut set = basic_set();
        set.images[0].repository = "a--b-->c\n<!-- x -->\u{202e}é".to_string();
        set.images[0].platform = Some("linux/arm64".to_string());
        let marker = comment_marker(&set);
        assert_eq!(
            marker,
            "<!-- ecr-scan-gate: a-%2Db-%2D%3Ec%0A%3C%21-%2D%20x%20-%2D%3E%E2%80%AE%C3%A9/linux/arm64 -->"
        );
        let inner = &marker["<!-- ".len()..marker.len() - " -->".len()];
        assert!(!inner.contains("--") && !inner.contains('>') && !inner.contains('\n'));
        let policy = Policy::default();
        let verdict = evaluate(&set, &policy, today());
        let md = render_verdict(&set, &policy, &verdict, false, Variant::Comment);
        assert_eq!(md.lines().next(), Some(marker.as_str()));
        assert_eq!(md.matches("<!--").count(), 1);
    }

    #[test]
    fn hostile_vendor_text_is_inert() {
        let hostile = "| <!-- --> <script> @octocat `x` **b** [l](javascript:alert(1)) \n::error::pwned \u{202e} rtl \u{0007}";
        let mut set = enhanced_set();
        for f in &mut set.findings {
            f.id = format!("{}{hostile}", f.id);
            f.package.name = Some(hostile.to_string());
            f.package.version = Some(hostile.to_string());
            f.package.fixed_in = Some(hostile.to_string());
            f.package.path = Some(hostile.to_string());
            f.description = Some(hostile.to_string());
            f.title = Some(hostile.to_string());
            f.urls = vec![
                format!("javascript:alert(1)//{hostile}"),
                "https://e.com/x)](javascript:alert(1)".to_string(),
            ];
        }
        set.images[0].repository = hostile.to_string();
        set.images[0].tags = vec![hostile.to_string()];
        set.images[0].platform = Some(hostile.to_string());
        set.images[0].scan.status = hostile.to_string();
        set.images[0].scan.description = Some(hostile.to_string());
        set.warnings.push(hostile.to_string());
        let mut policy = enhanced_policy();
        policy.ignores.push(Ignore {
            id: hostile.to_string(),
            reason: hostile.to_string(),
            expires: Some(date(2027, 1, 1)),
            package: Some(hostile.to_string()),
            repository: Some(hostile.to_string()),
            line: Some(30),
        });
        let verdict = evaluate(&set, &policy, today());
        assert_eq!(verdict.outcome, Outcome::Fail);
        let reasons = vec![hostile.to_string()];
        let results = [
            testing::verdict(&verdict, false),
            testing::incomplete(&reasons),
            testing::error(hostile),
        ];
        for result in &results {
            for variant in [Variant::Summary, Variant::Comment] {
                let ctx = Context {
                    set: &set,
                    policy: &policy,
                    result,
                    tool_version: hostile,
                };
                let md = render(&ctx, variant);
                assert_inert(&md, variant);
                assert_tables_well_formed(&md);
                assert_details_balanced(&md);
                assert!(md.contains("octocat"), "the text is kept, escaped");
            }
        }
    }

    fn assert_inert(md: &str, variant: Variant) {
        let marker_lines = usize::from(variant == Variant::Comment);
        assert_eq!(md.matches("<!--").count(), marker_lines, "{md}");
        if variant == Variant::Comment {
            assert!(md.starts_with("<!-- ecr-scan-gate: "));
        }
        for bad in ["<script", "@octocat", "##["] {
            assert!(!md.contains(bad), "{bad:?} survived:\n{md}");
        }
        for (at, _) in md.match_indices("](") {
            if !md[..at].ends_with('\\') {
                let rest = &md[at + 2..];
                assert!(
                    rest.starts_with("https://"),
                    "a link that is not https: {rest:?}"
                );
            }
        }
        for line in md.lines() {
            assert!(
                !line.trim_start().starts_with("::"),
                "command line: {line:?}"
            );
        }
        // The renderer's own "⚠️" carries a variation selector; vendor text never keeps one.
        let vendor = md.replace("\u{26a0}\u{fe0f}", "\u{26a0}");
        assert!(
            !vendor.chars().any(|c| c != '\n' && escape::is_hidden(c)),
            "hidden character survived"
        );
    }

    fn many_findings(n: usize) -> ScanSet {
        let mut set = enhanced_set();
        set.findings = (0..n)
            .map(|i| {
                let severity = Severity::ALL[i % Severity::ALL.len()];
                let mut f = scored(
                    finding(
                        &format!("CVE-2025-{i:05}"),
                        severity,
                        &format!("package-{i}"),
                        "1.0.0",
                        Some("1.0.1"),
                    ),
                    5.0,
                );
                f.images = vec![i % 2];
                f
            })
            .collect();
        set
    }

    #[test]
    fn fifty_thousand_findings_stay_within_the_limits() {
        let set = many_findings(50_000);
        let policy = Policy {
            fail_on: Some(Severity::Medium),
            ..enhanced_policy()
        };
        let verdict = evaluate(&set, &policy, today());
        let summary = render_verdict(&set, &policy, &verdict, false, Variant::Summary);
        assert!(summary.len() <= SUMMARY_LIMIT_BYTES, "{}", summary.len());
        assert!(
            summary.len() > SUMMARY_LIMIT_BYTES / 2,
            "the budget is used: {}",
            summary.len()
        );
        assert!(summary.contains("more findings not shown (see the JSON or SARIF report)"));
        assert!(summary.contains("| **total** | 50000 |"));
        assert_tables_well_formed(&summary);
        assert_details_balanced(&summary);
        let comment = render_verdict(&set, &policy, &verdict, false, Variant::Comment);
        assert!(comment.chars().count() <= COMMENT_LIMIT_CHARS);
        assert!(comment.starts_with("<!-- ecr-scan-gate: payments/api/linux/amd64 -->\n"));
        assert!(comment.contains("more findings not shown (see the JSON or SARIF report)"));
        assert!(comment.contains("other findings (not violating) not shown here"));
        assert!(!comment.contains("<details>"));
        assert_tables_well_formed(&comment);
    }

    #[test]
    fn the_last_guard_cuts_on_a_line_and_closes_details() {
        let text = format!(
            "# t\n\n<details>\n<summary>s</summary>\n\n| a |\n| --- |\n{}",
            "| é |\n".repeat(1000)
        );
        for variant in [Variant::Summary, Variant::Comment] {
            let out = fit(text.clone(), variant, 600);
            assert!(measure(variant, &out) <= 600);
            assert!(out.ends_with("(see the JSON or SARIF report)\n"));
            assert!(out.contains("| é |\n\n\n</details>\n"));
            assert_details_balanced(&out);
            assert_tables_well_formed(&out);
        }
        assert_eq!(fit("short".to_string(), Variant::Summary, 10), "short");
    }

    #[test]
    fn comment_measure_is_never_below_the_character_count() {
        let text = "a\n😀é\n";
        assert_eq!(measure(Variant::Comment, text), 1 + 2 + 2 + 1 + 2);
        assert!(measure(Variant::Comment, text) >= text.chars().count());
        assert_eq!(measure(Variant::Summary, text), text.len());
    }

    const PIECES: &[&str] = &[
        "|",
        "<!--",
        "-->",
        "<details>",
        "</details>",
        "@x",
        "#1",
        "::",
        "##[",
        "\n",
        "\r",
        "`",
        "\\",
        "&",
        "*",
        "_",
        "[",
        "](",
        ")",
        "\u{202e}",
        "\u{7}",
        "é",
        "👩‍👩‍👧",
        "-",
        " ",
        "a",
        "https://e.com/",
    ];

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => "(?s).{0,24}",
            4 => prop::collection::vec(prop::sample::select(PIECES), 0..16).prop_map(|v| v.concat()),
            1 => ("(?s).{1,6}", 200..4000usize).prop_map(|(s, n)| s.repeat(n)),
        ]
    }

    fn any_finding() -> impl Strategy<Value = Finding> {
        (
            (
                any_text(),
                prop::sample::select(Severity::ALL.to_vec()),
                prop::option::of(0.0..10.0f64),
            ),
            (
                any_text(),
                prop::option::of(any_text()),
                prop::option::of(any_text()),
                prop::option::of(any_text()),
            ),
            (
                prop::option::of(any::<bool>()),
                prop::option::of(any::<bool>()),
                any::<bool>(),
            ),
            (
                prop::collection::vec(any_text(), 0..3),
                prop::sample::select(vec![vec![0], vec![1], vec![0, 1]]),
            ),
        )
            .prop_map(
                |(
                    (id, severity, score),
                    (name, version, fixed_in, path),
                    (fix, exploit, suppressed),
                    (urls, images),
                )| Finding {
                    id,
                    severity,
                    vendor_severity: String::new(),
                    score,
                    vector: None,
                    title: None,
                    description: None,
                    package: Package {
                        name: Some(name),
                        version,
                        fixed_in,
                        manager: None,
                        path,
                    },
                    fix_available: fix,
                    exploit_available: exploit,
                    urls,
                    suppressed_by_scanner: suppressed,
                    images,
                },
            )
    }

    fn any_set() -> impl Strategy<Value = ScanSet> {
        (
            prop::collection::vec(any_finding(), 0..2000),
            (any_text(), any_text(), any_text()),
            prop::collection::vec(any_text(), 0..4),
        )
            .prop_map(|(findings, (repository, tag, platform), warnings)| {
                let mut set = enhanced_set();
                set.images[0].repository = repository;
                set.images[0].tags = vec![tag];
                set.images[1].platform = Some(platform);
                set.findings = findings;
                set.warnings = warnings;
                set
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn any_input_fits_the_limits(
            set in any_set(),
            fail_on in prop::sample::select(Severity::ALL.to_vec()),
            ignore_ids in prop::collection::vec(any_text(), 0..3),
            report_only in any::<bool>(),
        ) {
            let mut policy = enhanced_policy();
            policy.fail_on = Some(fail_on);
            for id in ignore_ids {
                policy.ignores.push(ignore(&id, &id, date(2026, 6, 1), 40));
            }
            if let Some(first) = set.findings.first() {
                policy.ignores.push(ignore(&first.id, "first", date(2026, 6, 1), 50));
            }
            let verdict = evaluate(&set, &policy, today());
            let result = testing::verdict(&verdict, report_only);
            let ctx = context(&set, &policy, &result);
            let summary = render(&ctx, Variant::Summary);
            prop_assert!(summary.len() <= SUMMARY_LIMIT_BYTES);
            assert_tables_well_formed(&summary);
            assert_details_balanced(&summary);
            let comment = render(&ctx, Variant::Comment);
            prop_assert!(comment.chars().count() <= COMMENT_LIMIT_CHARS);
            let marker = comment_marker(&set);
            prop_assert_eq!(comment.lines().next(), Some(marker.as_str()));
            prop_assert_eq!(comment.matches("<!--").count(), 1);
            assert_tables_well_formed(&comment);
            assert_details_balanced(&comment);
        }
    }
}
