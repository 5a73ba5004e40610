import Foundation
import KubeCore
import Testing

@Suite("RFC 3339 formatting of metav1.Time")
struct KubeTimeFormatTests {
    @Test func formatsWholeSecondsInUTCWithPaddedFields() {
        #expect(KubeTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(KubeTime.format(Date(timeIntervalSince1970: 1_700_000_000.9)) == "2023-11-14T22:13:20Z")
        #expect(KubeTime.format(KubeTime.parse("0987-03-04T05:06:07Z")!) == "0987-03-04T05:06:07Z")
    }

    @Test func roundTripsThroughParse() {
        var seconds = -86_400.0 * 365 * 60
        while seconds < 86_400.0 * 365 * 200 {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(KubeTime.parse(KubeTime.format(date)) == date)
            seconds += 86_400 * 37 + 3_671
        }
    }
}
