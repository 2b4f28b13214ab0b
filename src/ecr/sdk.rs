//! The AWS SDK's `DescribeImageScanFindings` answer as the wire shapes ([`super::wire`]) that saved
//! output is read into, so one converter serves both. Copies, never judges: a score the SDK read as
//! 0.0 stays 0.0 here, and `convert` decides what it means. A new wire field is filled in here too.

use aws_sdk_ecr::operation::describe_image_scan_findings::DescribeImageScanFindingsOutput;
use aws_sdk_ecr::types::ImageScanFindings;

use super::wire::{
    Count, Number, RawAttribute, RawBasicFinding, RawContainerImage, RawCvss, RawEnhancedFinding,
    RawImageId, RawImageScanFindings, RawPackageVulnerabilityDetails, RawRecommendation,
    RawRemediation, RawResource, RawResourceDetails, RawResponse, RawScoreCvss, RawScoreDetails,
    RawStatus, RawVulnerablePackage, Text, Timestamp,
};

fn text(value: Option<String>) -> Option<Text> {
    value.map(Text)
}

fn time(value: Option<aws_sdk_ecr::primitives::DateTime>) -> Option<Timestamp> {
    value.map(|t| Timestamp::Epoch(t.as_secs_f64()))
}

/// One page of `DescribeImageScanFindings`, as wire shapes.
pub(super) fn raw_response(output: DescribeImageScanFindingsOutput) -> RawResponse {
    RawResponse {
        registry_id: text(output.registry_id),
        repository_name: text(output.repository_name),
        image_id: output.image_id.map(|id| RawImageId {
            image_digest: text(id.image_digest),
            image_tag: text(id.image_tag),
        }),
        image_scan_status: output.image_scan_status.map(|s| RawStatus {
            status: s.status.map(|s| s.as_str().to_string()),
            description: s.description,
        }),
        image_scan_findings: output.image_scan_findings.map(raw_findings),
        next_token: output.next_token,
        cli_next_token: None,
        detail_type: None,
        package_vulnerability_details: None,
        finding_arn: None,
        image_details: None,
    }
}

fn raw_findings(findings: ImageScanFindings) -> RawImageScanFindings {
    RawImageScanFindings {
        image_scan_completed_at: time(findings.image_scan_completed_at),
        vulnerability_source_updated_at: time(findings.vulnerability_source_updated_at),
        finding_severity_counts: findings.finding_severity_counts.map(|counts| {
            counts
                .into_iter()
                .map(|(k, v)| (k.as_str().to_string(), Count(u64::try_from(v).ok())))
                .collect()
        }),
        findings: findings.findings.map(|list| {
            list.into_iter()
                .map(|f| RawBasicFinding {
                    name: text(f.name),
                    description: f.description,
                    uri: f.uri,
                    severity: f.severity.map(|s| s.as_str().to_string()),
                    attributes: f.attributes.map(|attributes| {
                        attributes
                            .into_iter()
                            .map(|a| RawAttribute {
                                key: Some(a.key),
                                value: text(a.value),
                            })
                            .collect()
                    }),
                })
                .collect()
        }),
        enhanced_findings: findings
            .enhanced_findings
            .map(|list| list.into_iter().map(raw_enhanced).collect()),
    }
}

fn raw_enhanced(f: aws_sdk_ecr::types::EnhancedImageScanFinding) -> RawEnhancedFinding {
    RawEnhancedFinding {
        description: f.description,
        finding_arn: f.finding_arn,
        package_vulnerability_details: f.package_vulnerability_details.map(|d| {
            RawPackageVulnerabilityDetails {
                vulnerability_id: text(d.vulnerability_id),
                cvss: d.cvss.map(|list| {
                    list.into_iter()
                        .map(|c| RawCvss {
                            base_score: Some(Number(Some(c.base_score))),
                            scoring_vector: c.scoring_vector,
                            version: text(c.version),
                        })
                        .collect()
                }),
                reference_urls: d
                    .reference_urls
                    .map(|urls| urls.into_iter().map(Some).collect()),
                source_url: d.source_url,
                vulnerable_packages: d.vulnerable_packages.map(|packages| {
                    packages
                        .into_iter()
                        .map(|p| RawVulnerablePackage {
                            name: text(p.name),
                            version: text(p.version),
                            release: text(p.release),
                            epoch: p.epoch.map(|e| Text(e.to_string())),
                            fixed_in_version: text(p.fixed_in_version),
                            package_manager: text(p.package_manager),
                            file_path: text(p.file_path),
                        })
                        .collect()
                }),
            }
        }),
        remediation: f.remediation.map(|r| RawRemediation {
            recommendation: r.recommendation.map(|r| RawRecommendation { url: r.url }),
        }),
        resources: f.resources.map(|resources| {
            resources
                .into_iter()
                .map(|r| RawResource {
                    details: r.details.map(|d| RawResourceDetails {
                        aws_ecr_container_image: d.aws_ecr_container_image.map(|i| {
                            RawContainerImage {
                                architecture: i.architecture,
                                image_tags: i
                                    .image_tags
                                    .map(|tags| tags.into_iter().map(|t| Some(Text(t))).collect()),
                            }
                        }),
                    }),
                    id: r.id,
                })
                .collect()
        }),
        // NOTE: the SDK reads an absent score as 0.0; the converter (shared with saved output) treats a
        // bare 0.0 as "no score", so nothing is decided here.
        score: Some(Number(Some(f.score))),
        score_details: f.score_details.map(|s| RawScoreDetails {
            cvss: s.cvss.map(|c| RawScoreCvss {
                score: Some(Number(Some(c.score))),
                scoring_vector: c.scoring_vector,
            }),
        }),
        severity: f.severity,
        status: f.status,
        title: f.title,
        fix_available: f.fix_available,
        exploit_available: f.exploit_available,
    }
}
