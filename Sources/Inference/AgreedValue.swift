/// A value some evidence implies (a key's value, a name word) and how often the estate agreed with it.
public struct AgreedValue: Codable, Sendable, Hashable {
    public var value: String
    /// Resources that had the value the evidence implies.
    public var agreeing: Int
    /// Resources with the evidence and a value for the key.
    public var resources: Int
    /// Calibrated: the lower bound (Wilson, one-sided 95%) of `agreeing` / `resources`.
    public var confidence: Double
}
