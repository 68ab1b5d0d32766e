// libFuzzer entry point for scripts/fuzz-hashes: PasswordHashes is compiled
// together with this file. Legacy hashes come from databases Ferry does not
// control, and expressions from configs; whatever their bytes, each input
// must end in a verdict or an error — any crash, assertion or sanitizer
// report is a defect.
//
// An input is lines: the first byte of the first line picks what is fuzzed
// ("e": an expression, then a hash, password and salt; anything else: a hash,
// then a password, salt and username).

// Low ceilings keep every input quick; the ceilings themselves are fuzzed
// only in the sense that inputs asking for more must be refused cleanly.
let limits = CostLimits(
    maxBcryptCost: 5, maxIterations: 2_000, maxPHPassLog2: 8, maxScryptMemory: 1 << 20, maxScryptParallelism: 2,
    maxArgon2MemoryKiB: 256, maxArgon2Iterations: 2, maxArgon2Parallelism: 2)
let catalog = HashCatalog(limits: limits, allowPlaintext: true)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHashes(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard !lines.isEmpty else { return 0 }
    if lines[0].hasPrefix("e") {
        let source = String(lines.removeFirst().dropFirst())
        guard let expression = try? HashExpression(parsing: source) else { return 0 }
        _ = expression.description
        guard (try? expression.checkCosts(limits)) != nil else { return 0 }
        let format = ExpressionFormat(expression: expression, pepper: Array("pepper".utf8))
        let expressed = HashCatalog(limits: limits, expression: format)
        let field = { (index: Int) in index < lines.count ? lines[index] : nil }
        _ = expressed.verify(password: field(1) ?? "", hash: field(0) ?? "", salt: field(2), username: "Ada")
        return 0
    }
    let field = { (index: Int) in index < lines.count ? lines[index] : nil }
    let hash = field(0) ?? ""
    _ = try? catalog.parse(hash)
    _ = catalog.verify(password: field(1) ?? "", hash: hash, salt: field(2), username: field(3))
    return 0
}
