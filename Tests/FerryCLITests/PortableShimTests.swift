import CFerryPortable
import Foundation
import Testing

/// Rule (issue 14): the glibc replacements the release binary links in with `--wrap` give
/// glibc's answers. (A first version bound hypot@GLIBC_2.2.5 with .symver; --wrap rewrote that
/// reference too, and the wrapper called itself forever.)
@Suite struct PortableShimTests {
    @Test(arguments: [(3.0, 4.0), (0.0, 0.0), (1e300, 1e300), (-5e-320, 7e-320), (1.0, .infinity), (.nan, 2.0)])
    func hypotMatchesGlibc(_ x: Double, _ y: Double) {
        let expected = hypot(x, y), got = __wrap_hypot(x, y)
        #expect(got == expected || (got.isNaN && expected.isNaN), "hypot(\(x), \(y)) = \(got), glibc says \(expected)")
        let expectedFloat = hypotf(Float(x), Float(y)), gotFloat = __wrap_hypotf(Float(x), Float(y))
        #expect(gotFloat == expectedFloat || (gotFloat.isNaN && expectedFloat.isNaN))
    }

    @Test func arc4randomGivesVaryingValues() {
        let values = Set((0..<64).map { _ in __wrap_arc4random() })
        #expect(values.count > 60)
    }
}
