import Foundation

/// metav1.Condition, the standard shape of `status.conditions`.
public struct Condition: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable { case `true` = "True", `false` = "False", unknown = "Unknown" }

    public var type: String
    public var status: Status
    public var observedGeneration: Int64?
    public var lastTransitionTime: Date
    /// CamelCase machine reason, e.g. "InvalidRegex".
    public var reason: String
    public var message: String

    public init(type: String, status: Status, observedGeneration: Int64? = nil, lastTransitionTime: Date = Date(), reason: String, message: String = "") {
        self.type = type
        self.status = status
        self.observedGeneration = observedGeneration
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}

extension Array where Element == Condition {
    public func find(_ type: String) -> Condition? { first { $0.type == type } }

    public func isTrue(_ type: String) -> Bool { find(type)?.status == .true }

    /// Sets a condition the way apimachinery's meta.SetStatusCondition does: lastTransitionTime
    /// changes only when the status flips, so re-setting the same state is not a change.
    /// Returns whether anything changed.
    @discardableResult
    public mutating func set(_ condition: Condition) -> Bool {
        guard let index = firstIndex(where: { $0.type == condition.type }) else {
            append(condition)
            return true
        }
        var updated = condition
        let old = self[index]
        if old.status == condition.status { updated.lastTransitionTime = old.lastTransitionTime }
        if old == updated { return false }
        self[index] = updated
        return true
    }
}

extension Condition.Status: JSONWritable {}

/// Written by hand for status writes (see `JSONWriter`), keys in JSONEncoder's sorted order.
extension Condition: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("lastTransitionTime", lastTransitionTime)
        json.field("message", message)
        json.field("observedGeneration", observedGeneration)
        json.field("reason", reason)
        json.field("status", status)
        json.field("type", type)
        json.endObject()
    }
}
