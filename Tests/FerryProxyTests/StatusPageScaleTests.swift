import Testing

@testable import FerryProxy

@Suite struct StatusPageScaleTests {
    @Test(arguments: [(0, 2), (1, 2), (2, 2), (3, 4), (7, 8), (8, 8), (101, 102)])
    func theScaleTopIsEvenAndHoldsThePeak(peak: Int, top: Int) {
        #expect(StatusPage.scaleTop(forPeak: peak) == top)
    }
}
