@testable import Discovery
import Testing

/// GetResources is paced at 15 calls a second: the slots handed out never crowd closer than that.
@Suite struct CallPacerTests {
    @Test func sixteenCallsAskedAtOnceSpanASecond() async {
        let pacer = CallPacer(callsPerSecond: TaggingAPIResourceLister.callsPerSecond)
        let start = ContinuousClock.now
        var slots: [ContinuousClock.Instant] = []
        for _ in 0..<16 { slots.append(await pacer.reserve(at: start)) }
        #expect(slots.first == start)
        #expect(slots.last! - slots.first! >= .seconds(1))
        #expect(zip(slots, slots.dropFirst()).allSatisfy { $1 - $0 == pacer.interval })
    }

    @Test func aCallAfterAQuietSpellGoesAtOnce() async {
        let pacer = CallPacer(callsPerSecond: 15)
        let start = ContinuousClock.now
        _ = await pacer.reserve(at: start)
        let later = start + .seconds(5)
        #expect(await pacer.reserve(at: later) == later)
    }
}
