import Foundation
import RktCommon
import Stage0Core
import RktJSON

/// `rkt list` output (rkt: rkt/list.go): a tab-aligned table with one row per app, pod columns
/// only on the first row, or the api/v1 JSON array.
public struct PodListing: Sendable {
    public var full = false
    public var noLegend = false
    public var format: OutputFormat = .tabbed

    public init() {}

    /// Reads every listed pod; per-pod work is a lock probe, a few stats and small JSON files.
    public func summaries(dataDir: String) -> (pods: [PodSummary], errors: [String]) {
        var errors: [String] = []
        let pods = Pod.all(dataDir: dataDir) { uuid, error in
            errors.append("unable to load pod \(uuid): \(error)")
        }
        let imageNames = format == .tabbed
        let summaries = pods.map { PodSummary(pod: $0, imageNames: imageNames, exitCodes: false) }.filter { !$0.vanished }
        for s in summaries { errors += s.errors }
        return (summaries, errors)
    }

    /// The text for stdout.
    public func render(_ pods: [PodSummary], now: Date = Date(), timeZone: TimeZone = .current) -> String {
        switch format {
        case .json, .jsonPretty:
            let arr = JSONValue.array(pods.map(\.apiJSON))
            return JSONOutput.render(arr, pretty: format == .jsonPretty) + "\n"
        case .tabbed:
            var lines: [[String]] = []
            if !noLegend {
                lines.append(full
                    ? ["UUID", "APP", "IMAGE NAME", "IMAGE ID", "STATE", "CREATED", "STARTED", "NETWORKS"]
                    : ["UUID", "APP", "IMAGE NAME", "STATE", "CREATED", "STARTED", "NETWORKS"])
            }
            for p in pods {
                var uuid = full ? p.uuid : String(p.uuid.prefix(8))
                var state = p.state.rawValue
                var nets = p.networksString
                var created = p.created.map { time($0, now: now, timeZone: timeZone) } ?? ""
                var started = p.started.map { time($0, now: now, timeZone: timeZone) } ?? ""
                for a in p.apps {
                    var row = [uuid, a.name, a.imageName ?? "--"]
                    if full { row.append(String(a.imageID.prefix(19))) }
                    row += [state, created, started, nets]
                    lines.append(row)
                    // Pod-level columns describe the pod, not the app: only on its first row.
                    (uuid, state, nets, created, started) = ("", "", "", "", "")
                }
            }
            return Table.format(lines)
        }
    }

    func time(_ d: Date, now: Date, timeZone: TimeZone) -> String {
        full ? Humanize.rktTime(d, timeZone: timeZone) : Humanize.relative(d, now: now)
    }

    /// rkt's `printErrors` (rkt/rkt.go): a count line, the errors between separators, the appc
    /// version, and an empty line to set them apart from the listing (stderr lines).
    public static func renderErrors(_ errors: [String], operation: String) -> [String] {
        guard !errors.isEmpty else { return [] }
        let sep = String(repeating: "-", count: 40)
        return ["\(errors.count) error(s) encountered when \(operation):", sep] + errors
            + [sep, "Misc:", "  rkt's appc version: 0.8.11", sep, ""]
    }
}
