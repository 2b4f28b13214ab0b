//! Which findings of one image become results of its run, and under which rules: most severe first,
//! up to the run's share of the results and GitHub's rule limit, counting what is left out.
//!
//! Only indices are planned here; rules and results are built from them as they are written. It must
//! not build SARIF objects or read the verdict.

use std::borrow::Cow;
use std::collections::HashMap;

use super::fields::rule_id;
use super::limits::MAX_RULES_PER_RUN;
use crate::findings::ScanSet;

/// Which findings of one image become results, and under which rules.
pub(super) struct Plan<'a> {
    /// The run's rules, in the order of their first result.
    pub(super) rules: Vec<RulePlan<'a>>,
    /// (finding index, rule index), most severe first.
    pub(super) results: Vec<(usize, usize)>,
    /// Findings in the image.
    pub(super) total: usize,
    /// Findings left out to stay within the limits.
    pub(super) omitted: usize,
}

/// One rule of a run: a vulnerability id and its findings in the image.
pub(super) struct RulePlan<'a> {
    /// The rule id (see [`rule_id`]).
    pub(super) id: Cow<'a, str>,
    /// Indices of this rule's findings in the run, most severe first.
    pub(super) findings: Vec<usize>,
}

impl<'a> Plan<'a> {
    /// The plan of image `image` of `set`, keeping at most `cap` results.
    pub(super) fn new(set: &'a ScanSet, image: usize, cap: usize) -> Plan<'a> {
        let mut order: Vec<usize> = set
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.images.contains(&image))
            .map(|(i, _)| i)
            .collect();
        order.sort_by_key(|&i| std::cmp::Reverse(set.findings[i].severity));
        let mut plan = Plan {
            rules: Vec::new(),
            results: Vec::with_capacity(order.len().min(cap)),
            total: order.len(),
            omitted: 0,
        };
        let mut by_id: HashMap<Cow<'a, str>, usize> = HashMap::new();
        for index in order {
            if plan.results.len() >= cap {
                plan.omitted += 1;
                continue;
            }
            let id = rule_id(&set.findings[index].id);
            let rule = match by_id.get(&id) {
                Some(&rule) => rule,
                None if plan.rules.len() >= MAX_RULES_PER_RUN => {
                    plan.omitted += 1;
                    continue;
                }
                None => {
                    plan.rules.push(RulePlan {
                        id: id.clone(),
                        findings: Vec::new(),
                    });
                    by_id.insert(id, plan.rules.len() - 1);
                    plan.rules.len() - 1
                }
            };
            plan.rules[rule].findings.push(index);
            plan.results.push((index, rule));
        }
        plan
    }
}
