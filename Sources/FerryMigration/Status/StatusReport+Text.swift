import Foundation

extension StatusReport {
    /// The report as a table for people (`ferry status`).
    public var table: String {
        let rows = self.rows
        let width = rows.map(\.label.count).max() ?? 0
        return rows.map { $0.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.value }
            .joined(separator: "\n") + "\n"
    }

    /// The report's figures as labelled rows: the table above, and the status page.
    public var rows: [(label: String, value: String)] {
        var rows: [(label: String, value: String)] = []
        func row(_ label: String, _ value: String) { rows.append((label, value)) }
        func unknown(_ value: Int?) -> String { value.map(String.init) ?? "unknown (set legacy.all_users_query)" }

        row(
            "mode",
            "\(mode), rollout \(Self.number(rolloutPercent)) %, rate \(Self.number(ratePerSecond))/s burst \(burst)")
        row("legacy users", unknown(legacyUsers) + (legacyDisabledUsers.map { " active, \($0) disabled" } ?? ""))
        row("migrated", "\(migrated)" + (percentMigrated.map { " (\(Self.number($0)) %)" } ?? ""))
        row("remaining", unknown(remaining))
        row("last hour / day", "\(migratedLastHour) / \(migratedLastDay) migrations")
        row("ETA", etaSeconds.map(Self.duration) ?? "unknown")
        row("ETA assumes", etaAssumes)
        row("MFA", "\(mfaCarried) carried, \(mfaReenrollRequired) re-enrollment required")
        row("consents carried", "\(consentsCarried)")
        row("outbox backlog", "\(outboxBacklog)")
        if !instances.isEmpty {
            row(
                "instances",
                "\(instances.count) running"
                    + (configsDiffer
                        ? "; WARNING: their configs differ (one reloaded, another not): reload every instance" : ""))
        }
        for instance in instances {
            row(
                "  " + instance.id,
                "\(instance.version), config \(instance.config), last heard \(Self.time(instance.lastSeen))")
        }
        row("wrong passwords", "\(wrongPasswords)")
        if mode == "shadow" || wouldMigrate > 0 {
            row("would migrate (shadow)", "\(wouldMigrate) users verified, not migrated")
        }
        if !failuresByReason.isEmpty { row("left on legacy, by reason", "") }
        for (reason, count) in failuresByReason.sorted(by: { $0.key < $1.key }) {
            row("  " + Self.plainWords(reason), "\(count) users")
        }
        if !newByReason.isEmpty { row("logins sent to new, by reason", "all time / last day") }
        for (reason, count) in newByReason.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            row("  " + Self.plainWords(reason), "\(count) / \(newLastDay[reason] ?? 0)")
        }
        if !fallbacksByReason.isEmpty { row("logins sent to legacy, by reason", "all time / last day") }
        for (reason, count) in fallbacksByReason.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            row("  " + Self.plainWords(reason), "\(count) / \(fallbacksLastDay[reason] ?? 0)")
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
        return rows
    }

    /// A reason code (`store_unavailable`) as words (`store unavailable`).
    static func plainWords(_ reason: String) -> String {
        reason.replacingOccurrences(of: "_", with: " ")
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
