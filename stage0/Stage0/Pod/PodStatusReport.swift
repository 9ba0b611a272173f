import Foundation
import RktCommon
import Stage0Core
import RktJSON

/// `rkt status` output (rkt: rkt/status.go `printStatus`).
public enum PodStatusReport {
    /// The `key=value` lines, in rkt's order.
    public static func lines(_ p: PodSummary, timeZone: TimeZone = .current) -> [String] {
        var out = ["state=\(p.state.rawValue)"]
        out.append("created=\(p.created.map { Humanize.rktTime($0, timeZone: timeZone) } ?? "")")
        if let s = p.started { out.append("started=\(Humanize.rktTime(s, timeZone: timeZone))") }
        if p.state == .running || p.state == .exited {
            out.append("networks=\(p.networksString)")
        }
        let afterStart: [Pod.State] = [.running, .deleting, .exitedDeleting, .exited, .exitedGarbage]
        guard afterStart.contains(p.state) else { return out }
        if let pid = p.pid { out.append("pid=\(pid)") }
        out.append("exited=\(p.state == .exited || p.state == .exitedGarbage)")
        if p.state != .running {
            for (app, code) in p.exitCodes { out.append("app-\(app)=\(code)") }
        }
        return out
    }

    public static func render(_ p: PodSummary, format: OutputFormat, timeZone: TimeZone = .current) -> String {
        switch format {
        case .tabbed: return lines(p, timeZone: timeZone).map { $0 + "\n" }.joined()
        case .json, .jsonPretty: return JSONOutput.render(p.apiJSON, pretty: format == .jsonPretty) + "\n"
        }
    }

    /// Whether `status --wait` may stop waiting (rkt: `IsFinished`).
    public static func isFinished(_ s: Pod.State) -> Bool {
        switch s {
        case .exited, .abortedPrepare, .garbage, .exitedGarbage: return true
        default: return false
        }
    }
}
