//! A distribution's versions side by side: each with its parties, costs (with totals per
//! unit) and rewards (with shares as percentages and their totals), terms and rationale, and
//! what changed from the version before, said in words (never by colour alone).

use super::distribution::{Cost, Party, Reward, Version};
use crate::text::{amount, label, percent};
use maud::{html, Markup};
use uuid::Uuid;

/// Which version is in force and which is open for consent, to mark the columns.
pub struct Marks {
    /// The agreed version in force, if any.
    pub in_force: Option<i64>,
    /// The version open for consent, if any.
    pub open: Option<i64>,
}

/// How many versions are shown side by side unless all are asked for.
pub const SHOWN: usize = 2;

/// The versions section: the last [`SHOWN`] versions side by side (newest last), or all of
/// them when `all`, with a link to switch between the two.
pub fn section(versions: &[Version], marks: &Marks, all: bool, page: &str) -> Markup {
    let start = if all || versions.len() <= SHOWN {
        0
    } else {
        versions.len() - SHOWN
    };
    html! {
        section id="versions" aria-labelledby="versions-title" data-live-region {
            h2 id="versions-title" { "Versions side by side" }
            @if versions.len() > SHOWN {
                @if all {
                    p { "Showing all " (versions.len()) " versions, oldest first. "
                        a href={ (page) "#versions" } { "Show only the last " (SHOWN) " versions" } }
                } @else {
                    p { "Showing the last " (SHOWN) " of " (versions.len()) " versions, oldest first. "
                        a href={ (page) "?versions=all#versions" } { "Show all " (versions.len()) " versions side by side" } }
                }
            } @else if versions.len() > 1 {
                p { "Oldest first. Each version says what changed from the one before." }
            }
            div class="versions" {
                @for (i, v) in versions.iter().enumerate().skip(start) {
                    (column(v, i.checked_sub(1).map(|p| &versions[p]), marks))
                }
            }
        }
    }
}

/// One version's column.
fn column(v: &Version, prev: Option<&Version>, marks: &Marks) -> Markup {
    let id = format!("version-{}", v.version);
    let changes = prev.map(|p| Changes::between(p, v));
    html! {
        section class="version" aria-labelledby=(id) {
            h3 id=(id) { "Version " (v.version) }
            @if marks.in_force == Some(v.version) || marks.open == Some(v.version) {
                p {
                    @if marks.in_force == Some(v.version) { strong class="tag tag--agreed" { "In force" } " " }
                    @if marks.open == Some(v.version) { strong class="tag tag--waiting" { "Open for consent" } }
                }
            }
            p class="meta" { (label(&v.kind)) ", round " (v.round) ". Written by " (v.written.line()) "." }
            @if let Some(rationale) = &v.rationale {
                h4 { "Why it changed" }
                p { (rationale) }
            }
            @if let (Some(p), Some(c)) = (prev, &changes) {
                h4 { "What changed from version " (p.version) }
                (c.summary(v))
            }
            h4 { "Parties" }
            ul {
                @for party in &v.parties {
                    li {
                        @if changes.as_ref().is_some_and(|c| c.parties_added.contains(&party.organisation_id)) {
                            ins { span class="visually-hidden" { "Added: " } (party.title()) }
                        } @else { (party.title()) }
                        @if let Some(kind) = &party.kind { span class="meta" { " (" (label(kind)) ")" } }
                    }
                }
                @if let Some(c) = &changes {
                    @for party in &c.parties_removed {
                        li { del { span class="visually-hidden" { "Removed: " } (party.title()) } " (no longer a party)" }
                    }
                }
            }
            (costs(v, changes.as_ref()))
            (rewards(v, changes.as_ref()))
            h4 { "Terms" }
            @if changes.as_ref().is_some_and(|c| c.terms_changed) {
                p { strong { "Changed: " } (v.terms) }
            } @else {
                p { (v.terms) }
            }
        }
    }
}

/// The costs table of a version, with a total per unit.
fn costs(v: &Version, changes: Option<&Changes>) -> Markup {
    let mut totals: Vec<(String, i64)> = Vec::new();
    for c in &v.costs {
        match totals.iter_mut().find(|(u, _)| *u == c.unit) {
            Some((_, sum)) => *sum += c.amount,
            None => totals.push((c.unit.clone(), c.amount)),
        }
    }
    let caption = format!("Costs in version {}", v.version);
    html! {
        h4 { "Costs" }
        @if v.costs.is_empty() {
            p { "No party contributes a cost in this version." }
        } @else {
            div class="table-scroll" tabindex="0" role="region" aria-label=(caption) {
                table {
                    caption class="visually-hidden" { (caption) }
                    thead { tr {
                        th scope="col" { "Party" }
                        th scope="col" { "Kind" }
                        th scope="col" class="number" { "Amount" }
                        th scope="col" { "Note" }
                    } }
                    tbody {
                        @for (i, c) in v.costs.iter().enumerate() {
                            @let was = changes.and_then(|ch| ch.cost_was(i));
                            @let added = changes.is_some_and(|ch| ch.costs_added.contains(&i));
                            tr {
                                th scope="row" {
                                    @if added { ins { span class="visually-hidden" { "Added: " } (c.party.title()) } }
                                    @else if was.is_some() { strong { "Changed: " } (c.party.title()) }
                                    @else { (c.party.title()) }
                                }
                                td { (label(&c.kind)) }
                                td class="number" {
                                    @match was {
                                        Some(old) if old.amount != c.amount || old.unit != c.unit => {
                                            del { span class="visually-hidden" { "Was: " } (amount(old.amount, &old.unit)) } " "
                                            ins { span class="visually-hidden" { "Now: " } (amount(c.amount, &c.unit)) }
                                        }
                                        _ => { (amount(c.amount, &c.unit)) }
                                    }
                                }
                                td {
                                    @match (was, &c.note) {
                                        (Some(old), note) if old.note.as_ref().map(|n| &n.text) != note.as_ref().map(|n| &n.text) => {
                                            @if let Some(n) = &old.note { del { span class="visually-hidden" { "Was: " } (n) } " " }
                                            @if let Some(n) = note { ins { span class="visually-hidden" { "Now: " } (n) } }
                                        }
                                        (_, Some(n)) => { (n) }
                                        (_, None) => {}
                                    }
                                }
                            }
                        }
                        @if let Some(ch) = changes {
                            @for c in &ch.costs_removed {
                                tr {
                                    th scope="row" { del { span class="visually-hidden" { "Removed: " } (c.party.title()) } }
                                    td { del { (label(&c.kind)) } }
                                    td class="number" { del { (amount(c.amount, &c.unit)) } }
                                    td { "No longer a cost" }
                                }
                            }
                        }
                    }
                    tfoot { tr {
                        th scope="row" colspan="2" { "Total" }
                        td class="number" colspan="2" {
                            @for (i, (unit, sum)) in totals.iter().enumerate() {
                                @if i > 0 { "; " }
                                (amount(*sum, unit))
                            }
                        }
                    } }
                }
            }
        }
    }
}

/// The rewards of a version, each with its shares as percentages and their total.
fn rewards(v: &Version, changes: Option<&Changes>) -> Markup {
    html! {
        h4 { "Rewards" }
        @for (i, r) in v.rewards.iter().enumerate() {
            @let caption = format!("{}: {}", label(&r.kind), r.description.text);
            @let total: i64 = r.shares.iter().map(|s| s.basis_points).sum();
            @let same_kind = v.rewards.iter().filter(|o| o.kind == r.kind).count();
            @let last_of_kind = !v.rewards[i + 1..].iter().any(|o| o.kind == r.kind);
            @let was = changes.and_then(|ch| ch.reward_was(i));
            @if changes.is_some_and(|ch| ch.rewards_added.contains(&i)) {
                p { ins { span class="visually-hidden" { "Added: " } "New reward." } }
            }
            @if let Some(old) = was {
                @if old.description.text != r.description.text {
                    p { strong { "Changed: " } "the description was " del { span class="visually-hidden" { "Was: " } (old.description) } }
                }
            }
            div class="table-scroll" tabindex="0" role="region" aria-label=(caption) {
                table {
                    caption { (label(&r.kind)) ": " (r.description) }
                    thead { tr {
                        th scope="col" { "Party" }
                        th scope="col" class="number" { "Share" }
                    } }
                    tbody {
                        @for s in &r.shares {
                            @let before = was.map(|old| old.shares.iter().find(|o| o.party.organisation_id == s.party.organisation_id).map(|o| o.basis_points));
                            tr {
                                @match before {
                                    Some(None) => {
                                        th scope="row" { ins { span class="visually-hidden" { "Added: " } (s.party.title()) } }
                                        td class="number" { ins { (percent(s.basis_points)) } }
                                    }
                                    Some(Some(bp)) if bp != s.basis_points => {
                                        th scope="row" { strong { "Changed: " } (s.party.title()) }
                                        td class="number" {
                                            del { span class="visually-hidden" { "Was: " } (percent(bp)) } " "
                                            ins { span class="visually-hidden" { "Now: " } (percent(s.basis_points)) }
                                        }
                                    }
                                    _ => {
                                        th scope="row" { (s.party.title()) }
                                        td class="number" { (percent(s.basis_points)) }
                                    }
                                }
                            }
                        }
                        @if let Some(old) = was {
                            @for o in old.shares.iter().filter(|o| !r.shares.iter().any(|s| s.party.organisation_id == o.party.organisation_id)) {
                                tr {
                                    th scope="row" { del { span class="visually-hidden" { "Removed: " } (o.party.title()) } }
                                    td class="number" { del { (percent(o.basis_points)) } " (no share now)" }
                                }
                            }
                        }
                    }
                    tfoot { tr {
                        th scope="row" { "Total" }
                        td class="number" { (percent(total)) }
                    } }
                }
            }
            @if same_kind > 1 && last_of_kind {
                @let kind_total: i64 = v.rewards.iter().filter(|o| o.kind == r.kind).flat_map(|o| &o.shares).map(|s| s.basis_points).sum();
                p { "All " (label(&r.kind).to_lowercase()) " rewards together: " strong { (percent(kind_total)) } }
            }
        }
        @if let Some(ch) = changes {
            @for r in &ch.rewards_removed {
                p { del { span class="visually-hidden" { "Removed: " } (label(&r.kind)) ": " (r.description) } " (no longer a reward)" }
            }
        }
    }
}

/// What changed between two versions.
struct Changes {
    parties_added: Vec<Uuid>,
    parties_removed: Vec<Party>,
    /// Indexes of new costs in the later version.
    costs_added: Vec<usize>,
    /// (index in the later version, the earlier cost it changed).
    costs_changed: Vec<(usize, Cost)>,
    costs_removed: Vec<Cost>,
    rewards_added: Vec<usize>,
    /// (index in the later version, the earlier reward it changed).
    rewards_changed: Vec<(usize, Reward)>,
    rewards_removed: Vec<Reward>,
    terms_changed: bool,
    /// Names for organisations, from either version.
    later: Vec<Party>,
}

impl Changes {
    /// What changed from `prev` to `cur`.
    fn between(prev: &Version, cur: &Version) -> Changes {
        let parties_added = cur
            .parties
            .iter()
            .filter(|p| {
                !prev
                    .parties
                    .iter()
                    .any(|q| q.organisation_id == p.organisation_id)
            })
            .map(|p| p.organisation_id)
            .collect();
        let parties_removed = prev
            .parties
            .iter()
            .filter(|p| {
                !cur.parties
                    .iter()
                    .any(|q| q.organisation_id == p.organisation_id)
            })
            .cloned()
            .collect();

        // Costs: identical rows are unchanged; then a row of the same party and kind is a
        // change; what is left was added or removed.
        let mut prev_left: Vec<Option<&Cost>> = prev.costs.iter().map(Some).collect();
        let mut cur_left: Vec<bool> = vec![true; cur.costs.len()];
        for (i, c) in cur.costs.iter().enumerate() {
            if let Some(slot) = prev_left
                .iter_mut()
                .find(|p| p.is_some_and(|p| p.same_as(c)))
            {
                *slot = None;
                cur_left[i] = false;
            }
        }
        let mut costs_changed = Vec::new();
        for (i, c) in cur.costs.iter().enumerate() {
            if !cur_left[i] {
                continue;
            }
            if let Some(slot) = prev_left.iter_mut().find(|p| {
                p.is_some_and(|p| {
                    p.party.organisation_id == c.party.organisation_id && p.kind == c.kind
                })
            }) {
                costs_changed.push((i, slot.take().expect("found").clone()));
                cur_left[i] = false;
            }
        }
        let costs_added = (0..cur.costs.len()).filter(|i| cur_left[*i]).collect();
        let costs_removed = prev_left.into_iter().flatten().cloned().collect();

        let mut rprev_left: Vec<Option<&Reward>> = prev.rewards.iter().map(Some).collect();
        let mut rcur_left: Vec<bool> = vec![true; cur.rewards.len()];
        for (i, r) in cur.rewards.iter().enumerate() {
            if let Some(slot) = rprev_left
                .iter_mut()
                .find(|p| p.is_some_and(|p| p.same_as(r)))
            {
                *slot = None;
                rcur_left[i] = false;
            }
        }
        let mut rewards_changed = Vec::new();
        for (i, r) in cur.rewards.iter().enumerate() {
            if !rcur_left[i] {
                continue;
            }
            let same_description = rprev_left.iter().position(|p| {
                p.is_some_and(|p| p.kind == r.kind && p.description.text == r.description.text)
            });
            let same_kind = || {
                rprev_left
                    .iter()
                    .position(|p| p.is_some_and(|p| p.kind == r.kind))
            };
            if let Some(at) = same_description.or_else(same_kind) {
                let old = rprev_left[at].take().expect("found");
                rewards_changed.push((i, old.clone()));
                rcur_left[i] = false;
            }
        }
        let rewards_added = (0..cur.rewards.len()).filter(|i| rcur_left[*i]).collect();
        let rewards_removed = rprev_left.into_iter().flatten().cloned().collect();

        Changes {
            parties_added,
            parties_removed,
            costs_added,
            costs_changed,
            costs_removed,
            rewards_added,
            rewards_changed,
            rewards_removed,
            terms_changed: prev.terms.text != cur.terms.text,
            later: cur.parties.clone(),
        }
    }

    /// The earlier cost a changed cost replaced.
    fn cost_was(&self, i: usize) -> Option<&Cost> {
        self.costs_changed
            .iter()
            .find(|(j, _)| *j == i)
            .map(|(_, c)| c)
    }

    /// The earlier reward a changed reward replaced.
    fn reward_was(&self, i: usize) -> Option<&Reward> {
        self.rewards_changed
            .iter()
            .find(|(j, _)| *j == i)
            .map(|(_, r)| r)
    }

    /// A party's name.
    fn name(&self, id: Uuid) -> String {
        self.later
            .iter()
            .find(|p| p.organisation_id == id)
            .map(Party::title)
            .unwrap_or_else(|| "An organisation".into())
    }

    /// The changes from the earlier version to `cur`, as a list of sentences.
    fn summary(&self, cur: &Version) -> Markup {
        let nothing = self.parties_added.is_empty()
            && self.parties_removed.is_empty()
            && self.costs_added.is_empty()
            && self.costs_changed.is_empty()
            && self.costs_removed.is_empty()
            && self.rewards_added.is_empty()
            && self.rewards_changed.is_empty()
            && self.rewards_removed.is_empty()
            && !self.terms_changed;
        let cost = |c: &Cost| {
            format!(
                "{}, {}, {}",
                c.party.title(),
                label(&c.kind).to_lowercase(),
                amount(c.amount, &c.unit)
            )
        };
        html! {
            @if nothing {
                p { "Nothing in the parties, costs, rewards or terms changed." }
            } @else {
                ul {
                    @for id in &self.parties_added { li { "Added party: " (self.name(*id)) "." } }
                    @for p in &self.parties_removed { li { "Removed party: " (p.title()) "." } }
                    @for i in &self.costs_added { li { "Added cost: " (cost(&cur.costs[*i])) "." } }
                    @for (i, old) in &self.costs_changed {
                        @let c = &cur.costs[*i];
                        li { "Changed cost: " (c.party.title()) ", " (label(&c.kind).to_lowercase())
                            @if old.amount != c.amount || old.unit != c.unit {
                                ": was " (amount(old.amount, &old.unit)) ", now " (amount(c.amount, &c.unit))
                            } @else { ": its note changed" }
                            "." }
                    }
                    @for c in &self.costs_removed { li { "Removed cost: " (cost(c)) "." } }
                    @for i in &self.rewards_added { li { "Added reward: " (label(&cur.rewards[*i].kind)) "." } }
                    @for (i, old) in &self.rewards_changed {
                        @let r = &cur.rewards[*i];
                        li { "Changed reward: " (label(&r.kind))
                            @if old.description.text != r.description.text { " (description" @if !shares_same(old, r) { " and shares" } ")" }
                            @else { " (shares)" }
                            "." }
                    }
                    @for r in &self.rewards_removed { li { "Removed reward: " (label(&r.kind)) "." } }
                    @if self.terms_changed { li { "The terms were reworded." } }
                }
            }
        }
    }
}

/// Whether two rewards give the same shares to the same parties.
fn shares_same(a: &Reward, b: &Reward) -> bool {
    a.shares.len() == b.shares.len()
        && a.shares.iter().all(|s| {
            b.shares.iter().any(|t| {
                t.party.organisation_id == s.party.organisation_id
                    && t.basis_points == s.basis_points
            })
        })
}
