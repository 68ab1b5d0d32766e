import Foundation

extension StatusReport {
    /// The report as a table for people (`ferry status`).
    public var table: String {
        var rows: [(String, String)] = []
        func row(_ label: String, _ value: String) { rows.append((label, value)) }
        func unknown(_ value: Int?) -> String { value.map(String.init) ?? "unknown (set legacy.all_users_query)" }

        row(
            "mode",
            "\(mode), rollout \(Self.number(rolloutPercent)) %, rate \(Self.number(ratePerSecond))/s burst \(burst)")
        row("legacy users", unknown(legacyUsers) + (legacyDisabledUsers.map { " active, \($0) disabled" } ?? ""))
        row("migrated", "\(migrated)" + (percentMigrated.map { " (\(Self.number($0)) %)" } ?? ""))
        row("remaining", unknown(remaining))
        row("last hour / day", "\(migratedLastHour) / \(migratedLastDay) migrations")
        row("ETA", etaSeconds.map(Self.duration) ?? "unknown (no migrations in the last day)")
        row("MFA", "\(mfaCarried) carried, \(mfaReenrollRequired) re-enrollment required")
        row("consents carried", "\(consentsCarried)")
        row("outbox backlog", "\(outboxBacklog)")
        row("wrong passwords", "\(wrongPasswords)")
        for (reason, count) in failuresByReason.sorted(by: { $0.key < $1.key }) {
            row("left on legacy", "\(count) × \(reason)")
        }
        for (reason, count) in fallbacksByReason.sorted(by: { $0.value > $1.value }) {
            row("fallbacks to legacy", "\(count) × \(reason) (\(fallbacksLastDay[reason] ?? 0) in the last day)")
        }
        if let sessions = legacySessions {
            row(
                "legacy sessions",
                "\(sessions.sessionsAlive) alive for \(sessions.usersWithSessions) users, last expires "
                    + (sessions.lastSessionExpiry.map(Self.time) ?? "-")
                    + (sessions.withoutExpiry > 0 ? ", \(sessions.withoutExpiry) without a known expiry" : ""))
            row(
                "legacy tokens",
                "\(sessions.tokensAlive) alive for \(sessions.usersWithTokens) users, last expires "
                    + (sessions.lastTokenExpiry.map(Self.time) ?? "-"))
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
            .joined(separator: "\n") + "\n"
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total == 0 { return "done" }
        let days = total / 86_400
        let hours = total % 86_400 / 3600
        let minutes = total % 3600 / 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        return "\(max(minutes, 1))m"
    }

    static func time(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
