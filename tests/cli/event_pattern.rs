//! `event-pattern`: the patterns the binary prints, matched by moto's `EventPattern` (an EventBridge
//! matcher independent of ours, driven by `eventbridge_match.py`) against the public scan events in
//! `tests/fixtures/ecr-public/events/` and generated variants of them, and judged against the gate's
//! own verdict (`policy::evaluate`) on each event's counts: every pair the gate fails must match, and
//! pairs the gate passes must not, except where the documented superset (Inspector2's `TOTAL`) applies.

use std::io::Write;
use std::process::{Command, Stdio};

use ecr_scan_gate::findings::{Finding, Package, ScanSet, Severity};
use ecr_scan_gate::policy::{self, at_or_above};
use serde_json::{Value, json};

use crate::support::{Gate, Run, public};

/// Runs `event-pattern` with a policy file and more arguments.
fn event_pattern(policy: &str, args: &[&str]) -> Run {
    Gate::command(&["event-pattern", "--policy", "policy.toml"])
        .file("policy.toml", policy)
        .args(args)
        .run()
}

/// The pattern printed for a policy (`--format json`, the default).
fn pattern(policy: &str, args: &[&str]) -> Value {
    let run = event_pattern(policy, args);
    run.expect(0);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// moto's verdict for each `(pattern, event)` pair.
fn moto_matches(patterns: &[Value], events: &[Value], pairs: &[(usize, usize)]) -> Vec<bool> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cli/eventbridge_match.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let request = json!({ "patterns": patterns, "events": events, "pairs": pairs });
    let mut stdin = child.stdin.take().unwrap();
    let body = serde_json::to_vec(&request).unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "eventbridge_match.py failed (moto is required):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<bool> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answers.len(), pairs.len());
    answers
}

/// Which scan an event is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Basic,
    Enhanced,
}

/// A completed scan event with counts, and what the gate sees in them.
struct Sample {
    name: String,
    event: Value,
    kind: Kind,
    /// Counts at the severities the event names apart.
    listed: Vec<(Severity, u64)>,
    /// Inspector2: findings in `TOTAL` at no listed severity (low, informational or untriaged).
    hidden: u64,
    /// Inspector2's `TOTAL`, when the event has one.
    total: Option<u64>,
}

impl Sample {
    fn read(name: &str, event: Value) -> Option<Sample> {
        let detail = &event["detail"];
        let kind = match (event["source"].as_str(), event["detail-type"].as_str()) {
            (Some("aws.ecr"), Some("ECR Image Scan")) => Kind::Basic,
            (Some("aws.inspector2"), Some("Inspector2 Scan")) => Kind::Enhanced,
            _ => return None,
        };
        let complete = match kind {
            Kind::Basic => "COMPLETE",
            Kind::Enhanced => "INITIAL_SCAN_COMPLETE",
        };
        if detail["scan-status"] != complete {
            return None;
        }
        let counts = detail["finding-severity-counts"].as_object()?;
        let mut listed = Vec::new();
        let mut total = None;
        for (key, count) in counts {
            let count = count.as_u64().unwrap();
            match (kind, key.as_str()) {
                (Kind::Enhanced, "TOTAL") => total = Some(count),
                (_, "UNDEFINED" | "UNTRIAGED") => listed.push((Severity::Unknown, count)),
                (_, key) => listed.push((Severity::from_vendor(key).expect(key), count)),
            }
        }
        let sum: u64 = listed.iter().map(|(_, n)| n).sum();
        Some(Sample {
            name: name.to_string(),
            event,
            kind,
            listed,
            hidden: total.unwrap_or(sum).saturating_sub(sum),
            total,
        })
    }
}

/// Every public event file: `(name, event)`.
fn public_events() -> Vec<(String, Value)> {
    let mut events: Vec<(String, Value)> = std::fs::read_dir(public("events"))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let event = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            (name, event)
        })
        .collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(events.len(), 18, "the public events (SOURCES.md)");
    events
}

/// A small deterministic generator, so that every run checks the same variants.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// A count near the limits the policies use (0, 2, 3, 5, 10, 20) and beyond.
    fn count(&mut self) -> u64 {
        const COUNTS: [u64; 16] = [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 10, 11, 20, 21, 150, 4_000];
        COUNTS[(self.next() % COUNTS.len() as u64) as usize]
    }
}

/// Variants of the public events: the same envelope with other counts, none at the most severe
/// levels of some (so that many pass some policies). Basic variants list only the
/// severities that occur (sometimes an explicit zero too, as aws-lambda-go's sample does); Inspector2
/// variants list CRITICAL, HIGH, MEDIUM and a TOTAL that also counts unlisted findings.
fn variants(samples: &[Sample], per_sample: usize) -> Vec<Sample> {
    let mut random = Lcg(0x5eed);
    let mut variants = Vec::new();
    for sample in samples {
        for n in 0..per_sample {
            let mut event = sample.event.clone();
            let mut counts = serde_json::Map::new();
            // The most severe `clean` severities have no findings: variants below every policy too.
            let clean = (random.next() % 7) as usize;
            match sample.kind {
                Kind::Basic => {
                    for (rank, key) in [
                        "CRITICAL",
                        "HIGH",
                        "MEDIUM",
                        "LOW",
                        "INFORMATIONAL",
                        "UNDEFINED",
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        let count = if rank < clean { 0 } else { random.count() };
                        if count > 0 || random.next().is_multiple_of(8) {
                            counts.insert(key.into(), json!(count));
                        }
                    }
                }
                Kind::Enhanced => {
                    let mut total = if clean > 4 { 0 } else { random.count() };
                    for (rank, key) in ["CRITICAL", "HIGH", "MEDIUM"].into_iter().enumerate() {
                        let count = if rank < clean { 0 } else { random.count() };
                        total += count;
                        counts.insert(key.into(), json!(count));
                    }
                    // Events have never listed the other severities; variants that do (some
                    // without TOTAL) check that such counts would not be missed either.
                    if n % 4 == 3 {
                        for key in ["LOW", "INFORMATIONAL", "UNTRIAGED"] {
                            let count = if clean > 4 { 0 } else { random.count() };
                            total += count;
                            counts.insert(key.into(), json!(count));
                        }
                    }
                    if n % 8 != 7 {
                        counts.insert("TOTAL".into(), json!(total));
                    }
                }
            }
            event["detail"]["finding-severity-counts"] = Value::Object(counts);
            let name = format!("{} (variant {n})", sample.name);
            variants.push(Sample::read(&name, event).unwrap());
        }
    }
    variants
}

/// The policies judged: every `fail-on`, with and without allowances (below, at and above it).
fn policies() -> Vec<String> {
    let allowances = [
        "",
        "high = 5\n",
        "critical = 0\nhigh = 2\nmedium = 10\n",
        "low = 3\n",
        "informational = 20\nmedium = 0\n",
        "high = 20\nlow = 0\n",
    ];
    let mut policies = Vec::new();
    for fail_on in ["critical", "high", "medium", "low", "informational", "none"] {
        for max in allowances {
            if fail_on == "none" && max.is_empty() {
                continue;
            }
            policies.push(format!(
                "[gate]\nfail-on = \"{fail_on}\"\n[gate.max]\n{max}"
            ));
        }
    }
    policies
}

/// Whether the gate fails an image whose findings have these severities and counts.
fn gate_fails(policy: &policy::Policy, counts: &[(Severity, u64)]) -> bool {
    let mut findings = Vec::new();
    for &(severity, count) in counts {
        for n in 0..count {
            findings.push(Finding {
                id: format!("CVE-{}-{n}", severity.as_str()),
                severity,
                vendor_severity: severity.as_str().to_ascii_uppercase(),
                score: None,
                vector: None,
                title: None,
                description: None,
                package: Package::default(),
                fix_available: None,
                exploit_available: None,
                urls: Vec::new(),
                suppressed_by_scanner: false,
                images: vec![0],
            });
        }
    }
    let set = ScanSet {
        findings,
        ..ScanSet::default()
    };
    let today = jiff::civil::date(2026, 11, 28);
    policy::evaluate(&set, policy, today).outcome == policy::Outcome::Fail
}

/// What the gate makes of a sample's counts: `(may fail, surely passes and the pattern can tell)`.
/// Basic counts are exact. Inspector2's unlisted findings may be low, informational or untriaged: the
/// gate may fail when one of those readings fails (the pattern must then match); the pattern can only
/// tell a pass apart when TOTAL stays within the smallest limit on those severities (it cannot
/// subtract the listed counts from TOTAL).
fn judge(policy: &policy::Policy, sample: &Sample) -> (bool, bool) {
    if sample.kind == Kind::Basic {
        let fails = gate_fails(policy, &sample.listed);
        return (fails, !fails);
    }
    let may_fail = [Severity::Low, Severity::Informational, Severity::Unknown]
        .into_iter()
        .any(|severity| {
            let mut counts = sample.listed.clone();
            counts.push((severity, sample.hidden));
            gate_fails(policy, &counts)
        });
    let hidden_limit = [Severity::Low, Severity::Informational, Severity::Unknown]
        .into_iter()
        .filter_map(|severity| match policy.max.get(&severity) {
            Some(&allowed) => Some(allowed as u64),
            None => at_or_above(severity, policy.fail_on).then_some(0),
        })
        .min();
    let tellable = hidden_limit.is_none_or(|limit| sample.total.is_none_or(|total| total <= limit));
    (may_fail, !may_fail && tellable)
}

#[test]
fn patterns_match_every_scan_the_gate_fails_and_no_scan_well_below_the_policy() {
    let events = public_events();
    let samples: Vec<Sample> = events
        .iter()
        .filter_map(|(name, event)| Sample::read(name, event.clone()))
        .collect();
    assert_eq!(
        samples.iter().filter(|s| s.kind == Kind::Basic).count(),
        6,
        "basic COMPLETE events with counts"
    );
    assert_eq!(
        samples.iter().filter(|s| s.kind == Kind::Enhanced).count(),
        4,
        "Inspector2 Scan events"
    );
    let mut all = variants(&samples, 16);
    all.extend(samples);
    let policies = policies();
    let parsed: Vec<policy::Policy> = policies
        .iter()
        .map(|text| policy::parse("policy.toml", text).unwrap())
        .collect();
    let patterns: Vec<Value> = policies.iter().map(|p| pattern(p, &[])).collect();

    let event_values: Vec<Value> = all.iter().map(|s| s.event.clone()).collect();
    let mut pairs = Vec::new();
    for p in 0..patterns.len() {
        for e in 0..all.len() {
            pairs.push((p, e));
        }
    }
    let matched = moto_matches(&patterns, &event_values, &pairs);
    let (mut must_match, mut must_not, mut superset) = (0, 0, 0);
    let mut failures = Vec::new();
    for (&(p, e), &matched) in pairs.iter().zip(&matched) {
        let (may_fail, surely_passes) = judge(&parsed[p], &all[e]);
        if may_fail {
            must_match += 1;
        } else if surely_passes {
            must_not += 1;
        } else {
            superset += 1;
        }
        if (may_fail && !matched) || (surely_passes && matched) {
            failures.push(format!(
                "{}\n  policy: {}\n  the gate {} but the pattern {}",
                all[e].name,
                policies[p].replace('\n', "; "),
                if may_fail { "may fail" } else { "passes" },
                if matched { "matched" } else { "did not match" },
            ));
        }
    }
    eprintln!(
        "{} pairs: {must_match} the gate may fail (all matched), {must_not} it passes (none \
         matched), {superset} within the documented superset",
        pairs.len()
    );
    assert!(
        must_match > 500 && must_not > 500,
        "the grid judges both ways"
    );
    assert!(
        failures.is_empty(),
        "{} of {} pairs wrong:\n{}",
        failures.len(),
        pairs.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[test]
fn no_pattern_matches_failed_scans_old_events_without_counts_or_other_events() {
    let others: Vec<(String, Value)> = public_events()
        .into_iter()
        .filter(|(name, event)| Sample::read(name, event.clone()).is_none())
        .collect();
    // FAILED, the two without counts, the resource change, the two findings and the two preview
    // events.
    let names: Vec<&str> = others.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(others.len(), 8, "{names:?}");
    let policies = [
        "[gate]\nfail-on = \"informational\"\n",
        "[gate]\nfail-on = \"none\"\n[gate.max]\nlow = 0\n",
    ];
    let patterns: Vec<Value> = policies.iter().map(|p| pattern(p, &[])).collect();
    let events: Vec<Value> = others.iter().map(|(_, event)| event.clone()).collect();
    let pairs: Vec<(usize, usize)> = (0..patterns.len())
        .flat_map(|p| (0..events.len()).map(move |e| (p, e)))
        .collect();
    for (&(p, e), matched) in pairs.iter().zip(moto_matches(&patterns, &events, &pairs)) {
        assert!(!matched, "{} matched {}", names[e], policies[p]);
    }
}

#[test]
fn each_scan_type_matches_only_its_own_events() {
    let policy = "[gate]\nfail-on = \"medium\"\n";
    let patterns = [
        pattern(policy, &["--scan-type", "basic"]),
        pattern(policy, &["--scan-type", "enhanced"]),
        pattern(policy, &["--scan-type", "both"]),
    ];
    let samples: Vec<Sample> = public_events()
        .into_iter()
        .filter_map(|(name, event)| Sample::read(&name, event))
        .filter(|s| {
            s.listed
                .iter()
                .any(|&(sev, n)| sev >= Severity::Medium && n > 0)
        })
        .collect();
    let events: Vec<Value> = samples.iter().map(|s| s.event.clone()).collect();
    let pairs: Vec<(usize, usize)> = (0..3)
        .flat_map(|p| (0..events.len()).map(move |e| (p, e)))
        .collect();
    for (&(p, e), matched) in pairs.iter().zip(moto_matches(&patterns, &events, &pairs)) {
        let expected = matches!(
            (p, samples[e].kind),
            (2, _) | (0, Kind::Basic) | (1, Kind::Enhanced)
        );
        assert_eq!(matched, expected, "pattern {p} on {}", samples[e].name);
    }
}

/// ECR's wildcard table (ecr.md), on basic events (plain names) and Inspector2 events (ARNs).
#[test]
fn repository_filters_follow_ecr_wildcard_rules_on_names_and_arns() {
    let repositories = [
        "prod",
        "repo-prod",
        "prod-repo",
        "repo-prod-repo",
        "prodrepo",
        "team/prod",
        "team/repository/prod-x",
    ];
    let table: [(&[&str], [bool; 7]); 7] = [
        (&["prod"], [true, true, true, true, true, true, true]),
        (&["*prod"], [true, true, false, false, false, true, false]),
        (&["prod*"], [true, false, true, false, true, false, false]),
        (&["*prod*"], [true, true, true, true, true, true, true]),
        (
            &["prod*repo"],
            [false, false, true, false, true, false, false],
        ),
        (
            &["team/*", "prodrepo"],
            [false, false, false, false, true, true, true],
        ),
        (
            &["*", "nothing"],
            [true, true, true, true, true, true, true],
        ),
    ];
    let basic = serde_json::from_slice::<Value>(
        &std::fs::read(public(
            "events/ecr-image-scan-basic-ecr-scan-collector-testdata-two-tags.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let enhanced = serde_json::from_slice::<Value>(
        &std::fs::read(public(
            "events/inspector2-scan-ecr-ecr-scan-notifier-readme-total-exceeds-listed.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let mut events = Vec::new();
    for repository in repositories {
        let mut event = basic.clone();
        event["detail"]["repository-name"] = json!(repository);
        events.push(event);
        let mut event = enhanced.clone();
        event["detail"]["repository-name"] = json!(format!(
            "arn:aws:ecr:eu-central-1:520666953574:repository/{repository}"
        ));
        events.push(event);
    }
    let policy = "[gate]\nfail-on = \"high\"\n";
    let patterns: Vec<Value> = table
        .iter()
        .map(|(filters, _)| {
            let mut args = Vec::new();
            for filter in *filters {
                args.extend(["--repository", filter]);
            }
            pattern(policy, &args)
        })
        .collect();
    let pairs: Vec<(usize, usize)> = (0..patterns.len())
        .flat_map(|p| (0..events.len()).map(move |e| (p, e)))
        .collect();
    for (&(p, e), matched) in pairs.iter().zip(moto_matches(&patterns, &events, &pairs)) {
        let (filters, expected) = &table[p];
        let repository = repositories[e / 2];
        let shape = if e % 2 == 0 { "name" } else { "ARN" };
        assert_eq!(
            matched,
            expected[e / 2],
            "{filters:?} on {repository} ({shape})"
        );
        assert_eq!(
            expected[e / 2],
            filters
                .iter()
                .any(|f| ecr_scan_gate::policy::wildcard::matches(f, repository)),
            "the table agrees with the gate's own wildcard rules: {filters:?} on {repository}"
        );
    }
}

#[test]
fn every_format_wraps_the_same_pattern() {
    let policy = "[gate]\nfail-on = \"critical\"\n[gate.max]\nhigh = 3\n";
    let expected = pattern(policy, &["--repository", "team/*"]);
    let formatted = |format: &str| {
        let run = event_pattern(policy, &["--repository", "team/*", "--format", format]);
        run.expect(0);
        run.stdout.clone()
    };
    let template: Value = serde_yaml_ng::from_str(&formatted("cloudformation")).unwrap();
    assert_eq!(
        template["Resources"]["EcrScanGateRule"]["Properties"]["EventPattern"],
        expected
    );
    let terraform = formatted("terraform");
    let body = terraform
        .split("<<-PATTERN\n")
        .nth(1)
        .and_then(|rest| rest.split("\n  PATTERN\n").next())
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(body).unwrap(), expected);
    // The command as a shell reads it: `aws` replaced by a function that prints its arguments.
    let cli = formatted("cli");
    let script = format!("aws() {{ for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }}\n{cli}");
    let output = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(output.status.success(), "{cli}");
    let args: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .split('\0')
        .map(str::to_string)
        .collect();
    assert_eq!(args[..4], ["events", "put-rule", "--name", "ecr-scan-gate"]);
    let at = args.iter().position(|a| a == "--event-pattern").unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&args[at + 1]).unwrap(),
        expected
    );
}

#[test]
fn what_counts_cannot_express_is_said_on_stderr() {
    let plain = event_pattern("[gate]\nfail-on = \"high\"\n", &["--scan-type", "basic"]);
    plain.expect(0);
    assert_eq!(plain.stderr, "", "an exact pattern has nothing to note");

    let policy = "[gate]\nfail-on = \"low\"\nonly-fixed = true\nmin-score = 7.0\n[gate.max]\n\
                  high = 2\n[[ignore]]\nid = \"CVE-2024-1\"\nreason = \"not reachable\"\n\
                  expires = \"2030-01-01\"\n";
    let run = event_pattern(policy, &[]);
    run.expect(0)
        .assert_stderr("1 ignore rule(s) cannot be seen in severity counts")
        .assert_stderr("only-fixed cannot be seen")
        .assert_stderr("min-score = 7 cannot be seen")
        .assert_stderr("matched through TOTAL")
        .assert_stderr("max.high = 2 compare(s) the event's count");
    serde_json::from_str::<Value>(&run.stdout).expect("stdout is only the pattern");
}

#[test]
fn a_policy_that_fails_on_nothing_or_a_bad_filter_is_an_error() {
    event_pattern("[gate]\nfail-on = \"none\"\n", &[])
        .expect(2)
        .assert_stderr("the policy fails on no severity");
    for bad in ["Prod", "prod repo", "-prod", "prod//x", ""] {
        event_pattern("", &[&format!("--repository={bad}")])
            .expect(2)
            .assert_stderr("is not an ECR repository filter");
    }
    Gate::command(&["event-pattern", "--policy", "missing.toml"])
        .run()
        .expect(2)
        .assert_stderr("missing.toml");
    // --fail-on overrides the file, as everywhere.
    let overridden = pattern(
        "[gate]\nfail-on = \"none\"\n",
        &["--fail-on", "critical", "--scan-type", "basic"],
    );
    let counts = &overridden["detail"]["finding-severity-counts"];
    assert_eq!(counts, &json!({"CRITICAL": [{"numeric": [">", 0]}]}));
}

#[test]
fn allowances_beyond_eventbridge_s_numbers_stay_a_superset() {
    let pattern = pattern(
        "[gate]\nfail-on = \"none\"\n[gate.max]\ncritical = 9000000000\n",
        &["--scan-type", "basic"],
    );
    assert_eq!(
        pattern["detail"]["finding-severity-counts"]["CRITICAL"],
        json!([{"numeric": [">", 5_000_000_000u64]}])
    );
}
