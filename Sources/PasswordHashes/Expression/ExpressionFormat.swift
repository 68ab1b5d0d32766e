/// `[legacy.hash] expression`: the formula, the pepper it may read, and which
/// rows it describes.
public struct ExpressionFormat: Equatable, Sendable {
    /// Which rows the formula describes. An application that peppered bcrypt
    /// stores hashes that look self-describing but are not, so by default the
    /// formula applies to every row; `unrecognized` is for a population where
    /// the formula's rows sit beside hashes in known formats (an application that
    /// upgraded its users to bcrypt as they logged in).
    public enum Rows: String, CaseIterable, Sendable {
        case all, unrecognized
    }

    public var expression: HashExpression
    public var pepper: [UInt8]
    public var rows: Rows

    public init(expression: HashExpression, pepper: [UInt8] = [], rows: Rows = .all) {
        self.expression = expression
        self.pepper = pepper
        self.rows = rows
    }

    /// Reads one stored hash under the formula. `selfDescribing` reads the stored
    /// hash of `stored(x)`.
    func parse(
        hash: String, salt: String?, username: String?, limits: CostLimits, selfDescribing: [any HashScheme]
    ) throws(HashError) -> any ParsedHash {
        try expression.checkCosts(limits)
        var inner: (any ParsedHash)?
        if let verifier = expression.verifier {
            let schemes: [any HashScheme] = verifier.function == .bcrypt ? [BCryptScheme()] : selfDescribing
            for scheme in schemes {
                if let parsed = try scheme.parse(hash, limits: limits) {
                    inner = parsed
                    break
                }
            }
            guard inner != nil else {
                if verifier.function == .bcrypt {
                    throw .malformed(
                        scheme: "expression", reason: "bcrypt() expects the stored hash to be a bcrypt string")
                }
                throw .unsupported("stored() found no known format in the stored hash")
            }
        }
        return ExpressionHash(
            expression: expression, stored: Array(hash.utf8), salt: Array((salt ?? "").utf8),
            username: Array((username ?? "").utf8), pepper: pepper, inner: inner)
    }
}
