import Foundation
import Testing
@testable import K8sClient

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var t = 1000.0
    func now() -> Double { lock.withLock { t } }
    func advance(_ s: Double) { lock.withLock { t += s } }
}

@Suite("client-side rate limiting")
struct TokenBucketTests {
    @Test func burstThenRefillAtQPS() async {
        let clock = ManualClock()
        let bucket = TokenBucket(qps: 50, burst: 10, now: { clock.now() })
        var granted = 0
        for _ in 0..<20 { if await bucket.tryAcquire() { granted += 1 } }
        #expect(granted == 10)
        clock.advance(0.1)  // 50 QPS * 0.1 s = 5 tokens
        granted = 0
        for _ in 0..<20 { if await bucket.tryAcquire() { granted += 1 } }
        #expect(granted == 5)
        clock.advance(100)  // refill is capped at the burst
        #expect(await bucket.available == 10)
    }

    @Test func reservationsQueueBehindEachOther() async {
        let clock = ManualClock()
        let bucket = TokenBucket(qps: 10, burst: 2, now: { clock.now() })
        #expect(await bucket.reserve() == .zero)
        #expect(await bucket.reserve() == .zero)
        // The third waits one token's time (0.1 s), the fourth two.
        #expect(await bucket.reserve() == .milliseconds(100))
        #expect(await bucket.reserve() == .milliseconds(200))
        #expect(await bucket.admitted == 4)
    }
}
