//! The wire shapes of ECR's findings: a serde mirror of the `DescribeImageScanFindings` response as the
//! AWS CLI saves it and the API sends it, shared by saved files (`saved`) and live answers (`sdk`). A
//! new field ECR sends is added here first, then mapped into the core's types in `convert`.
//!
//! Every field is optional and unknown fields are ignored; scalars are read tolerantly (numbers as
//! strings, timestamps as ISO-8601 text or epoch seconds). Must not judge or convert anything: that is
//! `convert`'s job.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

/// One `DescribeImageScanFindings` response (or the AWS CLI's join of all its pages).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawResponse {
    pub registry_id: Option<Text>,
    pub repository_name: Option<Text>,
    pub image_id: Option<RawImageId>,
    pub image_scan_status: Option<RawStatus>,
    pub image_scan_findings: Option<RawImageScanFindings>,
    pub next_token: Option<String>,
    /// The AWS CLI's spelling of the resume token when `--max-items` cut the list short (botocore's
    /// paginator output): the list is just as partial as with `nextToken`.
    #[serde(rename = "NextToken")]
    pub cli_next_token: Option<String>,
    // Only to recognise files that are something else.
    #[serde(rename = "detail-type")]
    pub detail_type: Option<String>,
    pub package_vulnerability_details: Option<IgnoredAny>,
    pub finding_arn: Option<IgnoredAny>,
    pub image_details: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawImageId {
    pub image_digest: Option<Text>,
    pub image_tag: Option<Text>,
}

#[derive(Deserialize)]
pub(super) struct RawStatus {
    pub status: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawImageScanFindings {
    pub image_scan_completed_at: Option<Timestamp>,
    pub vulnerability_source_updated_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "unique_counts")]
    pub finding_severity_counts: Option<BTreeMap<String, Count>>,
    pub findings: Option<Vec<RawBasicFinding>>,
    pub enhanced_findings: Option<Vec<RawEnhancedFinding>>,
}

#[derive(Deserialize)]
pub(super) struct RawBasicFinding {
    pub name: Option<Text>,
    pub description: Option<String>,
    pub uri: Option<String>,
    pub severity: Option<String>,
    pub attributes: Option<Vec<RawAttribute>>,
}

#[derive(Deserialize)]
pub(super) struct RawAttribute {
    pub key: Option<String>,
    pub value: Option<Text>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawEnhancedFinding {
    pub description: Option<String>,
    pub finding_arn: Option<String>,
    pub package_vulnerability_details: Option<RawPackageVulnerabilityDetails>,
    pub remediation: Option<RawRemediation>,
    pub resources: Option<Vec<RawResource>>,
    pub score: Option<Number>,
    pub score_details: Option<RawScoreDetails>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub title: Option<String>,
    pub fix_available: Option<String>,
    pub exploit_available: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawPackageVulnerabilityDetails {
    pub vulnerability_id: Option<Text>,
    pub cvss: Option<Vec<RawCvss>>,
    pub reference_urls: Option<Vec<Option<String>>>,
    pub source_url: Option<String>,
    pub vulnerable_packages: Option<Vec<RawVulnerablePackage>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawCvss {
    pub base_score: Option<Number>,
    pub scoring_vector: Option<String>,
    pub version: Option<Text>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawVulnerablePackage {
    pub name: Option<Text>,
    pub version: Option<Text>,
    pub release: Option<Text>,
    pub epoch: Option<Text>,
    pub fixed_in_version: Option<Text>,
    pub package_manager: Option<Text>,
    pub file_path: Option<Text>,
}

#[derive(Deserialize)]
pub(super) struct RawRemediation {
    pub recommendation: Option<RawRecommendation>,
}

#[derive(Deserialize)]
pub(super) struct RawRecommendation {
    pub url: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawResource {
    pub details: Option<RawResourceDetails>,
    /// The resource ARN (`arn:aws:ecr:REGION:ACCOUNT:repository/NAME/sha256:…`): the only place an ECR
    /// enhanced finding names the region.
    pub id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawResourceDetails {
    pub aws_ecr_container_image: Option<RawContainerImage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawContainerImage {
    pub architecture: Option<String>,
    pub image_tags: Option<Vec<Option<Text>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawScoreDetails {
    pub cvss: Option<RawScoreCvss>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawScoreCvss {
    pub score: Option<Number>,
    pub scoring_vector: Option<String>,
}

/// A scalar read as text: strings as they are, numbers and booleans in their JSON spelling.
#[derive(Debug, Clone)]
pub(super) struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Scalar {
            S(String),
            I(i64),
            U(u64),
            F(f64),
            B(bool),
        }
        Ok(Text(match Scalar::deserialize(d)? {
            Scalar::S(s) => s,
            Scalar::I(i) => i.to_string(),
            Scalar::U(u) => u.to_string(),
            Scalar::F(f) => f.to_string(),
            Scalar::B(b) => b.to_string(),
        }))
    }
}

/// A number that may arrive as a JSON number or a numeric string; anything else reads as `None`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Number(pub Option<f64>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Scalar {
            F(f64),
            S(String),
        }
        Ok(Number(
            match Scalar::deserialize(d)? {
                Scalar::F(f) => Some(f),
                Scalar::S(s) => s.trim().parse::<f64>().ok(),
            }
            .filter(|f| f.is_finite()),
        ))
    }
}

/// A count in `findingSeverityCounts`; a count that is not a whole number reads as `None` (and makes the
/// result unusable: it cannot show whether findings are missing).
#[derive(Debug, Clone, Copy)]
pub(super) struct Count(pub Option<u64>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let number = Option::<Number>::deserialize(d)?;
        Ok(Count(number.and_then(|n| n.0).and_then(|f| {
            (f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64).then_some(f as u64)
        })))
    }
}

/// `findingSeverityCounts`, refusing a severity named twice: JSON readers keep the last of two equal keys,
/// so `{"HIGH": 40, "HIGH": 0}` would otherwise hide the 40 from the completeness check.
fn unique_counts<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, Count>>, D::Error> {
    struct Counts;
    impl<'de> serde::de::Visitor<'de> for Counts {
        type Value = Option<BTreeMap<String, Count>>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of severity counts")
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(Counts)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut counts = BTreeMap::new();
            while let Some((severity, count)) = map.next_entry::<String, Count>()? {
                if counts.insert(severity.clone(), count).is_some() {
                    return Err(serde::de::Error::custom(format!(
                        "severity `{severity}` is counted twice"
                    )));
                }
            }
            Ok(Some(counts))
        }
    }
    d.deserialize_option(Counts)
}

/// A timestamp as the CLI prints it (ISO-8601 string) or as the wire carries it (epoch seconds).
#[derive(Debug, Clone)]
pub(super) enum Timestamp {
    Epoch(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            F(f64),
            S(String),
        }
        Ok(match Either::deserialize(d)? {
            Either::F(f) => Timestamp::Epoch(f),
            Either::S(s) => Timestamp::Text(s),
        })
    }
}
