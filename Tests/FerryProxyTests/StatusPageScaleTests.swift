import Testing

@testable import FerryProxy

@Suite struct StatusPageScaleTests {
    @Test(arguments: [(0, 2), (1, 2), (2, 2), (3, 4), (7, 8), (8, 8), (101, 102)])
    func theScaleTopIsEvenAndHoldsThePeak(peak: Int, top: Int) {
        #expect(StatusPage.scaleTop(forPeak: peak) == top)
    }

    /// The right-hand line: before the first hour, then after each.
    @Test(arguments: [
        ([2, 1], 4, 7, [7, 5, 4]),
        ([], 4, 7, [4]),
        // Four migrations of three users (an alias migrated too): clamped to the scale.
        ([4], 4, 7, [7, 4]),
        ([0, 0, 3], 0, 3, [3, 3, 3, 0]),
    ])
    func usersOnLegacyStayOnTheScale(counts: [Int], remaining: Int, total: Int, expected: [Int]) {
        #expect(StatusPage.usersOnLegacy(after: counts, remaining: remaining, total: total) == expected)
    }
}
