import Foundation

/// etcd's history as the API server compacts it: every `interval` it compacts to the revision it saw one
/// interval earlier (so a revision lives 1 to 2 intervals). Lists at a compacted revision (continue tokens,
/// `resourceVersionMatch=Exact`) are 410; watches are served from the watch cache (`EventLog`) and are not.
struct StorageCompaction: Sendable {
    let interval: TimeInterval
    let started: Date
    /// (time of a write, revision after it), oldest first; neighbours less than a second apart are merged,
    /// keeping the later one, which only ever makes compaction later.
    private var samples: [Sample] = []

    struct Sample: Sendable {
        var time: Date
        var rv: Int64
    }
    /// Highest compacted revision (by schedule or by `compactNow`).
    private(set) var compactedRV: Int64 = 0

    init(interval: Duration, started: Date = Date()) {
        self.interval = max(0.001, Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
        self.started = started
    }

    mutating func recordWrite(rv: Int64, now: Date = Date()) {
        if let last = samples.last, now.timeIntervalSince(last.time) < 1 {
            samples[samples.count - 1] = Sample(time: now, rv: rv)
        } else {
            samples.append(Sample(time: now, rv: rv))
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
