/// How messy a simulated estate is. Defaults resemble a mid-size company a few years into the
/// cloud: about half the resources tagged, inconsistently.
public struct EstateOptions: Sendable, Hashable {
    /// Share of resources that carry governance tags at all (per team it varies around this:
    /// some teams are diligent, some never tag).
    public var taggedShare: Double
    /// Of a tagged resource, the chance each required key is present (partial tagging).
    public var keyPresence: Double
    /// Chance a tag key is written in another team's dialect rather than the team's own.
    public var synonymRate: Double
    /// Chance a tag value is written as a case or punctuation variant of the usual form.
    public var variantRate: Double
    /// Chance a tag value has a typo.
    public var typoRate: Double
    /// Chance a tag value is stale (the team's former name, a previous owner, an old cost centre).
    public var staleRate: Double
    /// Share of resources with no signal at all: opaque name, shared account, no tags.
    public var noSignalShare: Double
    /// How many teams; nil scales with the estate (4 to 20).
    public var teams: Int?
    /// Chance a cost centre is written in another spelling of its identifier than the team's habit
    /// (`CC-41234`, `cc-41234`, `CC41234`, `41234`). Above zero, cost centres carry the `CC-` prefix and
    /// each team has its own habitual spelling; at zero they are bare numbers, as in older estates.
    public var identifierSpellingRate: Double
    /// Chance a tag key is misspelt (`Enviroment`, `Aplication`).
    public var keyTypoRate: Double
    /// Chance a team or application value carries a suffix (`payments-team`, `ledger-svc`).
    public var suffixVariantRate: Double
    /// Of a renamed team (one whose template has a former name), the share of team tags that still carry
    /// the old name, and the share of cost-centre tags that still carry the old cost centre.
    public var renamedStaleShare: Double
    /// Chance a tag value is a placeholder written to get past a required-tag check (`TBD`, `unknown`,
    /// `N/A`): tagging guides list it among the usual failures of free-text tags.
    public var placeholderRate: Double

    public init(
        taggedShare: Double = 0.5, keyPresence: Double = 0.8, synonymRate: Double = 0.15, variantRate: Double = 0.15,
        typoRate: Double = 0.005, staleRate: Double = 0.01, noSignalShare: Double = 0.05, teams: Int? = nil,
        identifierSpellingRate: Double = 0, keyTypoRate: Double = 0, suffixVariantRate: Double = 0,
        renamedStaleShare: Double = 0, placeholderRate: Double = 0
    ) {
        self.taggedShare = taggedShare
        self.keyPresence = keyPresence
        self.synonymRate = synonymRate
        self.variantRate = variantRate
        self.typoRate = typoRate
        self.staleRate = staleRate
        self.noSignalShare = noSignalShare
        self.teams = teams
        self.identifierSpellingRate = identifierSpellingRate
        self.keyTypoRate = keyTypoRate
        self.suffixVariantRate = suffixVariantRate
        self.renamedStaleShare = renamedStaleShare
        self.placeholderRate = placeholderRate
    }

    /// The defaults plus what estates written by other people have (see issue 17, and public tagging guides:
    /// identifiers with prefixes and separators, misspelt keys and values, suffixed team and application
    /// names, tags left stale by a team's rename, placeholder values). The phenomena draw from a random stream of their own, so
    /// turning them off gives back the default estate of the same seed exactly.
    public static let realWorld = EstateOptions(
        typoRate: 0.02, staleRate: 0.02, identifierSpellingRate: 0.25, keyTypoRate: 0.02, suffixVariantRate: 0.1,
        renamedStaleShare: 0.1, placeholderRate: 0.02)

    /// Whether any of the phenomena of `realWorld` beyond the defaults' is turned on.
    var hasQuirks: Bool {
        identifierSpellingRate > 0 || keyTypoRate > 0 || suffixVariantRate > 0 || renamedStaleShare > 0 || placeholderRate > 0
    }

    /// Every resource tagged with every key, canonically: for tests that need a clean estate.
    public static let clean = EstateOptions(
        taggedShare: 1, keyPresence: 1, synonymRate: 0, variantRate: 0, typoRate: 0, staleRate: 0, noSignalShare: 0)
}
