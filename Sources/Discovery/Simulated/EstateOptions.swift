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

    public init(
        taggedShare: Double = 0.5, keyPresence: Double = 0.8, synonymRate: Double = 0.15, variantRate: Double = 0.15,
        typoRate: Double = 0.005, staleRate: Double = 0.01, noSignalShare: Double = 0.05, teams: Int? = nil
    ) {
        self.taggedShare = taggedShare
        self.keyPresence = keyPresence
        self.synonymRate = synonymRate
        self.variantRate = variantRate
        self.typoRate = typoRate
        self.staleRate = staleRate
        self.noSignalShare = noSignalShare
        self.teams = teams
    }

    /// Every resource tagged with every key, canonically: for tests that need a clean estate.
    public static let clean = EstateOptions(
        taggedShare: 1, keyPresence: 1, synonymRate: 0, variantRate: 0, typoRate: 0, staleRate: 0, noSignalShare: 0)
}
