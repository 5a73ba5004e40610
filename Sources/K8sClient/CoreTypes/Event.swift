import Foundation
import KubeCore

/// core/v1 Event: what `kubectl describe` and `kubectl get events` show.
public struct CoreV1Event: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    public var source: Source?
    public var firstTimestamp: Date?
    public var lastTimestamp: Date?
    public var count: Int32?
    /// "Normal" or "Warning".
    public var type: String?
    public var eventTime: MicroTime?
    public var action: String?
    public var related: ObjectReference?
    public var reportingComponent: String?
    public var reportingInstance: String?

    public struct Source: Codable, Sendable, Hashable {
        public var component: String?
        public var host: String?
        public init(component: String? = nil, host: String? = nil) {
            self.component = component
            self.host = host
        }
    }

    public init(
        metadata: ObjectMeta, involvedObject: ObjectReference, reason: String? = nil, message: String? = nil,
        source: Source? = nil, firstTimestamp: Date? = nil, lastTimestamp: Date? = nil, count: Int32? = nil,
        type: String? = nil, eventTime: MicroTime? = nil, action: String? = nil, related: ObjectReference? = nil,
        reportingComponent: String? = nil, reportingInstance: String? = nil
    ) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.source = source
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.count = count
        self.type = type
        self.eventTime = eventTime
        self.action = action
        self.related = related
        self.reportingComponent = reportingComponent
        self.reportingInstance = reportingInstance
    }
}

/// events.k8s.io/v1 Event: the newer shape, with series for repeated occurrences.
public struct EventsV1Event: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor(group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// Required by the API server, with microseconds.
    public var eventTime: MicroTime
    public var series: Series?
    public var reportingController: String?
    public var reportingInstance: String?
    public var action: String?
    public var reason: String?
    public var regarding: ObjectReference?
    public var related: ObjectReference?
    public var note: String?
    /// "Normal" or "Warning".
    public var type: String?

    public struct Series: Codable, Sendable, Hashable {
        public var count: Int32
        public var lastObservedTime: MicroTime
        public init(count: Int32, lastObservedTime: MicroTime) {
            self.count = count
            self.lastObservedTime = lastObservedTime
        }
    }

    public init(
        metadata: ObjectMeta, eventTime: MicroTime, series: Series? = nil, reportingController: String? = nil,
        reportingInstance: String? = nil, action: String? = nil, reason: String? = nil, regarding: ObjectReference? = nil,
        related: ObjectReference? = nil, note: String? = nil, type: String? = nil
    ) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.eventTime = eventTime
        self.series = series
        self.reportingController = reportingController
        self.reportingInstance = reportingInstance
        self.action = action
        self.reason = reason
        self.regarding = regarding
        self.related = related
        self.note = note
        self.type = type
    }
}
