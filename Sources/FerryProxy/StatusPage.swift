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
            text { font-size: 11px; fill: #555; }
            </style></head><body>
            <h1>Migration status</h1>
            <p>Generated \(escape(ISO8601DateFormatter().string(from: report.generatedAt))); refreshes every 30 s.</p>
            <table>
            \(rows.joined(separator: "\n"))
            </table>
            <h2>Migrations per hour</h2>
            \(chart(report))
            </body></html>

            """
    }

    /// Bars: migrations per hour over the last 72 hours with any; line:
    /// remaining users after each hour.
    static func chart(_ report: StatusReport) -> String {
        let width = 720.0
        let height = 220.0
        let hours = report.migrationsByHour.suffix(72)
        guard let first = hours.first?.hour, let last = hours.last?.hour else {
            return "<p>No migrations yet.</p>"
        }
        let span = Double(last - first + 1)
        let peak = Double(hours.map(\.count).max() ?? 1)
        let barWidth = max(1, width / span - 1)
        var shapes: [String] = []
        for entry in hours {
            let x = Double(entry.hour - first) * width / span
            let barHeight = Double(entry.count) / peak * (height - 20)
            shapes.append(
                #"<rect class="bar" x="\#(format(x))" y="\#(format(height - barHeight))" width="\#(format(barWidth))" height="\#(format(barHeight))"><title>\#(entry.count) migrations</title></rect>"#
            )
        }
        if let total = report.legacyUsers, total > 0 {
            // Remaining after each hour: what is left now plus what migrated later.
            var remaining = Double(report.remaining ?? 0)
            var points: [(Double, Double)] = []
            for entry in hours.reversed() {
                let x = Double(entry.hour - first + 1) * width / span
                points.append((x, remaining))
                remaining += Double(entry.count)
            }
            points.append((0, remaining))
            let path = points.reversed().map { x, left in
                "\(format(x)),\(format(height - left / Double(total) * (height - 20)))"
            }
            shapes.append(
                #"<polyline class="curve" points="\#(path.joined(separator: " "))"><title>remaining users</title></polyline>"#
            )
        }
        shapes.append(
            #"<text x="4" y="14">peak \#(Int(peak))/h · red: remaining users (of \#(report.legacyUsers.map(String.init) ?? "?"))</text>"#
        )
        return
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="migrations per hour">"#
            + shapes.joined() + "</svg>"
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
