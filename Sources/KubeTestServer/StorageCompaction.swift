import Foundation

/// etcd's history as the API server compacts it: every `interval` it compacts to the revision it saw one
/// interval earlier (so a revision lives 1 to 2 intervals). Lists at a compacted revision (continue tokens,
/// `resourceVersionMatch=Exact`) are 410; watches are served from the watch cache (`EventLog`) and are not.
struct StorageCompaction: Sendable {
    let interval: TimeInterval
    let started: Date
    /// Writes in buckets (one per `bucket` of time): the last revision written in each and when, oldest
    /// first. A bucket counts as written at its last write, which only ever makes compaction later.
    private var samples: [Sample] = []
    private let bucket: TimeInterval
    /// Highest compacted revision (by schedule or by `compactNow`).
    private(set) var compactedRV: Int64 = 0

    struct Sample: Sendable {
        var start: Date
        var time: Date
        var rv: Int64
    }

    init(interval: Duration, started: Date = Date()) {
        self.interval = max(0.001, Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
        self.started = started
        bucket = min(1, self.interval / 10)
    }

    mutating func recordWrite(rv: Int64, now: Date = Date()) {
        if let last = samples.last, now.timeIntervalSince(last.start) < bucket {
            samples[samples.count - 1].time = now
            samples[samples.count - 1].rv = rv
        } else {
            samples.append(Sample(start: now, time: now, rv: rv))
        }
    }

    /// Applies the compactions scheduled up to `now`.
    mutating func advance(now: Date = Date()) {
        let ticks = (now.timeIntervalSince(started) / interval).rounded(.down)
        guard ticks >= 1 else { return }
        // The latest compaction ran at `lastTick` and compacted what was written one interval before it.
        let horizon = started.addingTimeInterval((ticks - 1) * interval)
        var keep = 0
        for (i, s) in samples.enumerated() where s.time <= horizon {
            compactedRV = max(compactedRV, s.rv)
            keep = i + 1
        }
        if keep > 1 { samples.removeFirst(keep - 1) }
    }

    mutating func compactNow(to rv: Int64) {
        compactedRV = max(compactedRV, rv)
    }
}
