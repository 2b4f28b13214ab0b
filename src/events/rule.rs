//! An event pattern as what people paste: the pattern itself (JSON), a CloudFormation template with an
//! `AWS::Events::Rule`, a Terraform `aws_cloudwatch_event_rule`, or an `aws events put-rule` command.
//! Only formats: the pattern is [`super::pattern`]'s.

use serde_json::Value;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// The event pattern (JSON).
    #[default]
    Json,
    /// A CloudFormation template (YAML) with one `AWS::Events::Rule`.
    Cloudformation,
    /// A Terraform `aws_cloudwatch_event_rule` resource.
    Terraform,
    /// An `aws events put-rule` command.
    Cli,
}

/// The rule's name (CLI, Terraform) and the template's logical id stem.
pub const RULE_NAME: &str = "ecr-scan-gate";

/// The rule's description.
pub const DESCRIPTION: &str = "Completed ECR image scans whose severity counts the ecr-scan-gate policy \
fails on (ecr-scan-gate event-pattern)";

/// Renders the pattern in a format; the text ends with a newline.
pub fn render(pattern: &Value, format: Format) -> String {
    let pretty = serde_json::to_string_pretty(pattern).unwrap_or_default();
    match format {
        Format::Json => format!("{pretty}\n"),
        Format::Cloudformation => format!(
            "AWSTemplateFormatVersion: \"2010-09-09\"\n\
             Description: {DESCRIPTION}\n\
             Resources:\n  \
               EcrScanGateRule:\n    \
                 Type: AWS::Events::Rule\n    \
                 Properties:\n      \
                   Description: {DESCRIPTION}\n      \
                   State: ENABLED\n      \
                   # Add Targets: an API destination or an SNS topic (see examples/eventbridge/).\n      \
                   EventPattern:\n{}\n",
            indent(&pretty, 8)
        ),
        // NOTE: a Terraform heredoc interpolates `${` and `%{`; a pattern holds neither (repository
        // filters are `[a-z0-9._/*-]`, keys and values are fixed).
        Format::Terraform => format!(
            "resource \"aws_cloudwatch_event_rule\" \"ecr_scan_gate\" {{\n  \
               name          = \"{RULE_NAME}\"\n  \
               description   = \"{DESCRIPTION}\"\n  \
               event_pattern = <<-PATTERN\n{}\n  PATTERN\n}}\n",
            indent(&pretty, 4)
        ),
        Format::Cli => {
            let compact = serde_json::to_string(pattern).unwrap_or_default();
            format!(
                "aws events put-rule --name {RULE_NAME} --description {} --event-pattern {}\n",
                shell_quote(DESCRIPTION),
                shell_quote(&compact)
            )
        }
    }
}

fn indent(text: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    text.lines()
        .map(|line| format!("{pad}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One POSIX shell word: single-quoted, a `'` written as `'\''`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pattern() -> Value {
        json!({"source": ["aws.ecr"], "detail": {"$or": [{"a": [{"numeric": [">", 0]}]}]}})
    }

    #[test]
    fn every_format_carries_the_same_pattern() {
        let json_text = render(&pattern(), Format::Json);
        assert_eq!(
            serde_json::from_str::<Value>(&json_text).unwrap(),
            pattern()
        );

        let template: Value =
            serde_yaml_ng::from_str(&render(&pattern(), Format::Cloudformation)).unwrap();
        let rule = &template["Resources"]["EcrScanGateRule"];
        assert_eq!(rule["Type"], "AWS::Events::Rule");
        assert_eq!(rule["Properties"]["EventPattern"], pattern());
        assert_eq!(rule["Properties"]["State"], "ENABLED");

        let terraform = render(&pattern(), Format::Terraform);
        let start = terraform.find("<<-PATTERN\n").unwrap() + "<<-PATTERN\n".len();
        let end = terraform.rfind("\n  PATTERN\n").unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&terraform[start..end]).unwrap(),
            pattern()
        );
        assert!(
            terraform.starts_with("resource \"aws_cloudwatch_event_rule\" \"ecr_scan_gate\" {")
        );
        assert!(terraform.ends_with("}\n"));

        let cli = render(&pattern(), Format::Cli);
        let quoted = cli.split("--event-pattern ").nth(1).unwrap().trim_end();
        let inner = quoted
            .strip_prefix('\'')
            .unwrap()
            .strip_suffix('\'')
            .unwrap();
        assert_eq!(serde_json::from_str::<Value>(inner).unwrap(), pattern());
        assert!(cli.starts_with("aws events put-rule --name ecr-scan-gate "));
    }

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
