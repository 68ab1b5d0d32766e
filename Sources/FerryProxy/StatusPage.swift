import FerryMigration
import Foundation

/// The status page on the admin listener: the report's figures and two charts
/// (migrations per hour, remaining users) as server-rendered HTML with inline
/// SVG. No script, no external resource.
enum StatusPage {
    static func html(_ report: StatusReport) -> String {
        let rows = report.rows.map { row -> String in
            // Indented labels are the reasons under a heading row.
            let indented = row.label.hasPrefix("  ")
            let label = row.label.trimmingCharacters(in: .whitespaces)
            return indented
                ? "<tr><th class=\"sub\">\(escape(label))</th><td>\(escape(row.value))</td></tr>"
                : "<tr><th>\(escape(label))</th><td>\(escape(row.value))</td></tr>"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="30">
            <title>Ferry — migration status</title>
            <style>
            body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
            table { border-collapse: collapse; margin-bottom: 2rem; }
            th { text-align: left; padding: .2rem 1rem .2rem 0; font-weight: 600; }
            th.sub { font-weight: 400; padding-left: 1.2rem; }
            td { padding: .2rem 0; font-variant-numeric: tabular-nums; }
            svg { border: 1px solid #ddd; background: #fafafa; }
            .bar { fill: #3b7dd8; } .curve { fill: none; stroke: #d8553b; stroke-width: 2; }
            .axis { stroke: #555; } .grid { stroke: #e4e4e4; }
            .progress { width: 640px; height: 14px; background: #e8e8e8; border-radius: 7px; overflow: hidden; }
            .progress div { height: 100%; background: #3b7dd8; }
            text { font-size: 11px; fill: #555; }
            </style></head><body>
            <h1>Migration status</h1>
            \(progress(report))
            <p>Generated \(escape(ISO8601DateFormatter().string(from: report.generatedAt))); refreshes every 30 s.</p>
            <table>
            \(rows.joined(separator: "\n"))
            </table>
            <h2>Migrations per hour, and users still on legacy</h2>
            \(chart(report))
            </body></html>

            """
    }

    /// Users still on legacy before the first hour and after each: what is
    /// left now plus what migrated later. Never above `total`: a count of
    /// migrations can include a second identifier of one user (an alias
    /// provisioned idempotently), and the line must stay on its scale.
    static func usersOnLegacy(after counts: [Int], remaining: Int, total: Int) -> [Int] {
        var values = [remaining]
        for count in counts.reversed() { values.append(values[values.count - 1] + count) }
        return values.reversed().map { min($0, total) }
    }

    /// Bars: migrations per hour (left axis) over the last 72 hours with any;
    /// line: users still on legacy after each hour (right axis). Hours are UTC.
    static func chart(_ report: StatusReport) -> String {
        let (left, right, top, bottom) = (52.0, 64.0, 30.0, 34.0)
        let (width, height) = (880.0, 280.0)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let hours = report.migrationsByHour.suffix(72)
        guard let first = hours.first?.hour, let last = hours.last?.hour else {
            return "<p>No migrations yet.</p>"
        }
        let span = Double(last - first + 1)
        let peak = Double(scaleTop(forPeak: hours.map(\.count).max() ?? 0))
        let barWidth = max(1, plotWidth / span - 2)
        func x(_ hour: Int) -> Double { left + Double(hour - first) * plotWidth / span }
        func y(_ fraction: Double) -> Double { top + plotHeight * (1 - fraction) }
        var shapes: [String] = []
        // Axes and the left scale: 0, half the peak, the peak.
        shapes.append(
            #"<line class="axis" x1="\#(format(left))" y1="\#(format(y(0)))" x2="\#(format(left + plotWidth))" y2="\#(format(y(0)))"/>"#
        )
        shapes.append(
            #"<line class="axis" x1="\#(format(left))" y1="\#(format(top))" x2="\#(format(left))" y2="\#(format(y(0)))"/>"#
        )
        for fraction in [0.0, 0.5, 1.0] {
            let value = peak * fraction
            shapes.append(
                #"<text x="\#(format(left - 6))" y="\#(format(y(fraction) + 4))" text-anchor="end">\#(Int(value.rounded()))</text>"#
            )
            if fraction > 0 {
                shapes.append(
                    #"<line class="grid" x1="\#(format(left))" y1="\#(format(y(fraction)))" x2="\#(format(left + plotWidth))" y2="\#(format(y(fraction)))"/>"#
                )
            }
        }
        shapes.append(
            #"<text x="12" y="\#(format(top + plotHeight / 2))" transform="rotate(-90 12 \#(format(top + plotHeight / 2)))" text-anchor="middle">migrations per hour</text>"#
        )
        // Hour labels, at most about twelve.
        let step = max(1, Int((span / 12).rounded(.up)))
        let clock = DateFormatter()
        clock.timeZone = TimeZone(identifier: "UTC")
        clock.locale = Locale(identifier: "en_US_POSIX")
        var labelledDay = -1
        for hour in stride(from: first, through: last, by: step) {
            // The day on the first label of each day; otherwise the hour.
            clock.dateFormat = hour / 24 != labelledDay ? "d MMM HH:00" : "HH:00"
            labelledDay = hour / 24
            let label = clock.string(from: Date(timeIntervalSince1970: Double(hour) * 3600))
            shapes.append(
                #"<text x="\#(format(x(hour) + barWidth / 2))" y="\#(format(height - bottom + 16))" text-anchor="middle">\#(escape(label))</text>"#
            )
        }
        shapes.append(
            #"<text x="\#(format(left + plotWidth / 2))" y="\#(format(height - 4))" text-anchor="middle">hour (UTC)</text>"#
        )
        for entry in hours {
            let barHeight = Double(entry.count) / peak * plotHeight
            shapes.append(
                #"<rect class="bar" x="\#(format(x(entry.hour) + 1))" y="\#(format(y(0) - barHeight))" width="\#(format(barWidth))" height="\#(format(barHeight))"><title>\#(entry.count) migrations</title></rect>"#
            )
        }
        var legend =
            #"<rect class="bar" x="\#(format(left))" y="8" width="12" height="12"/><text x="\#(format(left + 18))" y="18">migrations per hour (left scale)</text>"#
        if let total = report.legacyUsers, total > 0 {
            let users = usersOnLegacy(after: hours.map(\.count), remaining: report.remaining ?? 0, total: total)
            let xs = [left] + hours.map { x($0.hour) + plotWidth / span }
            let path = zip(xs, users).map { px, users in "\(format(px)),\(format(y(Double(users) / Double(total))))" }
            shapes.append(
                #"<polyline class="curve" points="\#(path.joined(separator: " "))"><title>users still on legacy</title></polyline>"#
            )
            for fraction in [0.0, 0.5, 1.0] {
                shapes.append(
                    #"<text x="\#(format(left + plotWidth + 6))" y="\#(format(y(fraction) + 4))">\#(Int((Double(total) * fraction).rounded()))</text>"#
                )
            }
            shapes.append(
                #"<text x="\#(format(width - 10))" y="\#(format(top + plotHeight / 2))" transform="rotate(90 \#(format(width - 10)) \#(format(top + plotHeight / 2)))" text-anchor="middle">users on legacy</text>"#
            )
            legend +=
                #"<line class="curve" x1="\#(format(left + 260))" y1="14" x2="\#(format(left + 280))" y2="14"/><text x="\#(format(left + 286))" y="18">users still on legacy, of \#(total) (right scale)</text>"#
        }
        shapes.append(legend)
        return
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="migrations per hour and users still on legacy">"#
            + shapes.joined() + "</svg>"
    }

    /// How far the migration is, as a bar with its numbers.
    /// The left scale's top: an even whole number at or above the busiest
    /// hour, so that its middle label is a whole number too (a top of 1
    /// would read 0, 1, 1).
    static func scaleTop(forPeak peak: Int) -> Int { max(2, (peak + 1) / 2 * 2) }

    static func progress(_ report: StatusReport) -> String {
        guard let total = report.legacyUsers, total > 0, let percent = report.percentMigrated else {
            return "<p>Migrated: \(report.migrated) users (legacy's total is unknown: set legacy.all_users_query).</p>"
        }
        return """
            <div class="progress" role="progressbar" aria-valuenow="\(format(percent))" aria-valuemin="0" aria-valuemax="100">\
            <div style="width: \(format(percent))%"></div></div>
            <p>\(format(percent)) % migrated: \(total - (report.remaining ?? 0)) of \(total) legacy users; \(report.remaining ?? 0) to go.</p>
            """
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
