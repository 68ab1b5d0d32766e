import FerryConfig
import Foundation

/// An upstream's answer to a login Ferry forwarded, as far as
/// `[legacy.answer]`'s rules read it (for the new platform, only the status
/// counts). The proxy fills it in; nothing here does I/O.
public struct LoginAnswer: Equatable, Sendable {
    public var status: Int
    /// The `Location` header as sent.
    public var location: String?
    /// Cookies the answer sets to a value that has not expired.
    public var cookiesSet: Set<String>
    /// The body, when it is JSON and a rule reads it; nil otherwise.
    public var json: [UInt8]?

    public init(status: Int, location: String? = nil, cookiesSet: Set<String> = [], json: [UInt8]? = nil) {
        self.status = status
        self.location = location
        self.cookiesSet = cookiesSet
        self.json = json
    }

    /// The largest JSON body a rule reads; a larger one matches no `json:` term.
    public static let bodyLimit = 64 << 10
    /// The largest answer of unstated length Ferry relays after reading it
    /// for the rules (it must be read to learn its length); a larger one is
    /// answered 502.
    public static let relayLimit = 1 << 20
}

/// What legacy's answer says about the password.
public enum AnswerVerdict: Equatable, Sendable {
    case accepted
    case rejected
    /// No rule holds (a 5xx, a CSRF refusal, an answer nobody described), or
    /// both kinds do: nothing is concluded.
    case unclear
}

/// `[legacy.answer]`'s rules applied to an answer.
public struct AnswerRules: Equatable, Sendable {
    public var accepted: [AnswerRule]
    public var rejected: [AnswerRule]

    public init(accepted: [AnswerRule] = [], rejected: [AnswerRule] = []) {
        self.accepted = accepted
        self.rejected = rejected
    }

    public var isEmpty: Bool { accepted.isEmpty && rejected.isEmpty }
    public var readBody: Bool { (accepted + rejected).contains(where: \.readsBody) }

    /// nil when no rule is configured: the status alone then speaks
    /// (`legacy_failure_statuses`).
    public func verdict(_ answer: LoginAnswer?) -> AnswerVerdict? {
        guard !isEmpty else { return nil }
        guard let answer else { return .unclear }
        let document = answer.json.flatMap {
            try? JSONSerialization.jsonObject(with: Data($0), options: [.fragmentsAllowed])
        }
        let right = accepted.contains { Self.holds($0, answer, document) }
        let wrong = rejected.contains { Self.holds($0, answer, document) }
        switch (right, wrong) {
        case (true, false): return .accepted
        case (false, true): return .rejected
        default: return .unclear
        }
    }

    static func holds(_ rule: AnswerRule, _ answer: LoginAnswer, _ document: Any?) -> Bool {
        rule.terms.allSatisfy { term in
            switch term {
            case .status(let ranges): return ranges.contains { $0.contains(answer.status) }
            case .cookie(let name): return answer.cookiesSet.contains(name)
            case .location(let prefix): return answer.location.map { Self.path(of: $0, startsWith: prefix) } ?? false
            case .json(let pointer, let expected):
                guard let document, let value = JSONPointer.resolve(pointer, in: document) else { return false }
                guard let expected else { return Self.isSet(value) }
                return JSONPointer.text(value) == expected
            }
        }
    }

    /// `/account` holds for `/account`, `/account/`, `/account?x` and
    /// `https://host/account`, not for `/accounts`.
    static func path(of location: String, startsWith prefix: String) -> Bool {
        var target = Substring(location)
        if let scheme = target.range(of: "://") {
            let afterHost = target[scheme.upperBound...]
            target = afterHost.firstIndex(where: { "/?#".contains($0) }).map { afterHost[$0...] } ?? "/"
        } else if target.hasPrefix("//") {
            let afterHost = target.dropFirst(2)
            target = afterHost.firstIndex(where: { "/?#".contains($0) }).map { afterHost[$0...] } ?? "/"
        }
        guard target.hasPrefix(prefix) else { return false }
        let next = target.dropFirst(prefix.count).first
        return next == nil || prefix.hasSuffix("/") || "/?#&".contains(next!)
    }

    private static func isSet(_ value: Any) -> Bool {
        if let flag = JSONPointer.boolean(value) { return flag }
        switch value {
        case is NSNull: return false
        case let text as String: return !text.isEmpty
        case let array as [Any]: return !array.isEmpty
        case let object as [String: Any]: return !object.isEmpty
        default: return true
        }
    }

}
